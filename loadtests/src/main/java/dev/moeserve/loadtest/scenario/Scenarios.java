package dev.moeserve.loadtest.scenario;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The scenarios of {@code moe bench}, by name. */
public final class Scenarios {

    private static final Map<String, Scenario> BY_NAME = new LinkedHashMap<>();

    static {
        for (Scenario scenario : List.of(new LoadScenario(), new PoolsScenario(), new PoliciesScenario(),
                new AbScenario(), new RemoteScenario(), new ReplayScenario(), new BareScenario())) {
            BY_NAME.put(scenario.name(), scenario);
        }
    }

    private Scenarios() {
    }

    /**
     * Returns the scenario named {@code name}.
     *
     * @throws IllegalArgumentException naming the known scenarios when there is none
     */
    public static Scenario byName(String name) {
        Scenario scenario = BY_NAME.get(name);
        if (scenario == null) {
            throw new IllegalArgumentException("--scenario must be one of " + String.join(", ", BY_NAME.keySet())
                    + ", got '" + name + "'");
        }
        return scenario;
    }

    /** Returns every scenario, in the order of the help text. */
    public static List<Scenario> all() {
        return List.copyOf(BY_NAME.values());
    }
}

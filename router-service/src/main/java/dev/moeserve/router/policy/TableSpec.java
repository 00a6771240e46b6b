package dev.moeserve.router.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A policy table as written in a policies file or sent to {@code PUT /admin/routing}.
 *
 * @param arms         the policies that serve traffic, split by weight; at least one
 * @param shadow       a policy that gets a copy of every request and whose result is only compared, or null
 * @param stickyHeader request header whose value keeps a caller on one arm, or null to use only the
 *                     request id
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"arms", "shadow", "stickyHeader"})
public record TableSpec(List<PolicySpec> arms, PolicySpec shadow, String stickyHeader) {

    public TableSpec {
        arms = arms == null ? null : Collections.unmodifiableList(new ArrayList<>(arms));
    }

    /** Returns a table with one arm that serves all traffic. */
    public static TableSpec single(PolicySpec arm) {
        return new TableSpec(List.of(arm), null, null);
    }
}

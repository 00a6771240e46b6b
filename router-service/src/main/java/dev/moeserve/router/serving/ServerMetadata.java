package dev.moeserve.router.serving;

import java.util.List;

/** Server name, version and protocol extensions, as reported by {@code GET /v2} and ServerMetadata. */
public final class ServerMetadata {

    /** Server name. */
    public static final String NAME = "moe-router";

    /** Protocol extensions implemented: none of the optional KServe v2 extensions. */
    public static final List<String> EXTENSIONS = List.of();

    private ServerMetadata() {
    }

    /** Returns the version from the jar manifest, or {@code development} when running from classes. */
    public static String version() {
        String version = ServerMetadata.class.getPackage().getImplementationVersion();
        return version == null ? "development" : version;
    }
}

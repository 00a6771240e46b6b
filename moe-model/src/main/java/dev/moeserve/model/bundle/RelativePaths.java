package dev.moeserve.model.bundle;

/** Checks of the file paths in a manifest, which must stay inside the bundle folder. */
final class RelativePaths {

    private RelativePaths() {
    }

    /**
     * Returns why {@code path} is not a valid bundle path, or null when it is valid. A valid path is
     * relative, uses {@code /} as separator and has no empty, {@code .} or {@code ..} segment, so
     * resolving it against the bundle folder cannot leave the folder.
     */
    static String problem(String path) {
        if (path == null || path.isBlank()) {
            return "must not be blank";
        }
        if (path.startsWith("/") || path.contains("\\") || path.contains(":")) {
            return "must be a relative path with \"/\" as separator, got \"" + path + "\"";
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return "must not contain empty, \".\" or \"..\" segments, got \"" + path + "\"";
            }
        }
        return null;
    }
}

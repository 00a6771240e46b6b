package dev.moeserve.pool;

/**
 * Checks of a call's tokens, shared by every {@link ExpertBackend} so that each rejects the same inputs
 * with the same message.
 */
public final class InputValidation {

    private InputValidation() {
    }

    /**
     * Checks the shape and values of a call to expert {@code id}, which expects width {@code expectedWidth}.
     *
     * @return null when the call is valid, else the exception to fail it with
     */
    public static InvalidInputException check(ExpertId id, int expectedWidth, float[] tokens, int tokenCount,
                                              int width) {
        InvalidInputException shapeError = checkShape(id, expectedWidth, tokens == null ? -1 : tokens.length,
                tokenCount, width);
        if (shapeError != null) {
            return shapeError;
        }
        return checkFinite(id, tokens, tokenCount * width, width);
    }

    /**
     * Checks the shape of a call: {@code length} is the number of floats received, or -1 for none.
     *
     * @return null when the shape is valid, else the exception to fail the call with
     */
    public static InvalidInputException checkShape(ExpertId id, int expectedWidth, long length, int tokenCount,
                                                   int width) {
        if (length < 0) {
            return new InvalidInputException("expert " + id + ": tokens must not be null");
        }
        if (tokenCount < 0) {
            return new InvalidInputException("expert " + id + ": tokenCount must be at least 0, got " + tokenCount);
        }
        if (width != expectedWidth) {
            return new InvalidInputException("expert " + id + " expects width " + expectedWidth + ", got " + width);
        }
        long expected = (long) tokenCount * width;
        if (length != expected) {
            return new InvalidInputException("expert " + id + ": tokens must contain tokenCount x width = "
                    + tokenCount + " x " + width + " = " + expected + " floats, got " + length);
        }
        return null;
    }

    private static InvalidInputException checkFinite(ExpertId id, float[] tokens, int length, int width) {
        for (int i = 0; i < length; i++) {
            if (!Float.isFinite(tokens[i])) {
                return new InvalidInputException("expert " + id + ": tokens must be finite, got " + tokens[i]
                        + " at token " + i / width + ", element " + i % width);
            }
        }
        return null;
    }
}

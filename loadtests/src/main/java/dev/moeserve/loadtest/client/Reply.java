package dev.moeserve.loadtest.client;

/**
 * Outcome of one request as the client saw it.
 *
 * @param error  null on success, otherwise a short kind: {@code http_503}, {@code grpc_resource_exhausted},
 *               {@code timeout}, {@code connection} and so on
 * @param policy the policy that served the request, from the {@code x-moe-policy} header, or null
 * @param labels the predicted class per image when the client asked for them, otherwise null
 */
public record Reply(String error, String policy, long[] labels) {

    public static Reply ok(String policy, long[] labels) {
        return new Reply(null, policy, labels);
    }

    public static Reply failed(String kind, String policy) {
        return new Reply(kind, policy, null);
    }

    public boolean succeeded() {
        return error == null;
    }
}

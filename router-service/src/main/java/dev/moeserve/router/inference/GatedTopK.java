package dev.moeserve.router.inference;

/**
 * Top-k selection over adjusted logits, with the gate weights a softmax over the chosen k adjusted
 * logits. Experts whose adjusted logit is negative infinity are never chosen.
 */
final class GatedTopK {

    private GatedTopK() {
    }

    /**
     * Routes every token: {@code adjust[layer][e]} is added to logit e (use negative infinity to mask an
     * expert), or no adjustment when {@code adjust} is null.
     */
    static RouteDecision route(float[] logits, int tokens, int experts, int k, float[] adjust) {
        int[] chosen = new int[tokens * k];
        float[] weights = new float[tokens * k];
        float[] top = new float[k];
        for (int t = 0; t < tokens; t++) {
            int row = t * experts;
            for (int s = 0; s < k; s++) {
                top[s] = Float.NEGATIVE_INFINITY;
                chosen[t * k + s] = -1;
            }
            for (int e = 0; e < experts; e++) {
                float z = adjust == null ? logits[row + e] : logits[row + e] + adjust[e];
                if (z == Float.NEGATIVE_INFINITY || Float.isNaN(z)) {
                    continue;
                }
                insert(z, e, top, chosen, t * k, k);
            }
            softmax(top, chosen, weights, t * k, k);
        }
        return new RouteDecision(tokens, k, chosen, weights);
    }

    /** Inserts (z, e) into the descending list of the k largest; on equal values the lower index stays first. */
    private static void insert(float z, int e, float[] top, int[] chosen, int base, int k) {
        if (chosen[base + k - 1] >= 0 && z <= top[k - 1]) {
            return;
        }
        int s = k - 1;
        while (s > 0 && (chosen[base + s - 1] < 0 || z > top[s - 1])) {
            top[s] = top[s - 1];
            chosen[base + s] = chosen[base + s - 1];
            s--;
        }
        top[s] = z;
        chosen[base + s] = e;
    }

    private static void softmax(float[] top, int[] chosen, float[] weights, int base, int k) {
        if (chosen[base + k - 1] < 0) {
            throw new IllegalStateException("fewer than k = " + k + " experts can be chosen");
        }
        float max = top[0];
        float sum = 0f;
        for (int s = 0; s < k; s++) {
            float w = (float) Math.exp(top[s] - max);
            weights[base + s] = w;
            sum += w;
        }
        for (int s = 0; s < k; s++) {
            weights[base + s] /= sum;
        }
    }
}

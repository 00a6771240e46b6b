package dev.moeserve.profiler;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.model.data.FashionMnist;
import dev.moeserve.pool.LocalExpertPool;
import dev.moeserve.profiler.bundle.BundleModels;
import dev.moeserve.profiler.model.DjlRuntime;
import dev.moeserve.profiler.model.VitMoe;
import dev.moeserve.router.inference.InferenceResult;
import dev.moeserve.router.inference.MoePipeline;
import dev.moeserve.router.inference.Policies;
import dev.moeserve.router.inference.TrunkModel;
import dev.moeserve.router.serving.ServingModel;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/** The committed bundle gives the same logits in ONNX Runtime as in the DJL reference forward. */
class ParityTest {

    private static final int IMAGES = 256;

    @Test
    void onnxRuntimeMatchesDjlOnTestImages() throws Exception {
        DjlRuntime.configure();
        Bundle bundle = Bundle.open(TestData.referenceBundle());
        FashionMnist.Split test = TestData.testSplit();
        float[] images = TestData.images(test, 0, IMAGES);

        float[] reference;
        try (NDManager manager = NDManager.newBaseManager()) {
            VitMoe model = BundleModels.load(bundle, manager);
            reference = model.forward(manager.create(images, new Shape(IMAGES, 28, 28)), null, null)
                    .logits().toFloatArray();
        }

        ExecutorService executor = Executors.newFixedThreadPool(2);
        try (TrunkModel trunk = TrunkModel.load(bundle);
             LocalExpertPool pool = LocalExpertPool.load(ServingModel.expertFiles(bundle))) {
            MoePipeline pipeline = new MoePipeline(trunk, pool, executor, null);
            InferenceResult served = pipeline.infer(images, IMAGES, Policies.topK(), false).get();

            assertThat(served.logits()).hasSize(reference.length);
            float maxDifference = 0;
            for (int i = 0; i < reference.length; i++) {
                maxDifference = Math.max(maxDifference, Math.abs(reference[i] - served.logits()[i]));
            }
            assertThat(maxDifference).as("largest logit difference").isLessThanOrEqualTo(1e-4f);
            for (int i = 0; i < IMAGES; i++) {
                assertThat(served.labels()[i]).as("label of image %d", i).isEqualTo(argMax(reference, i, 10));
            }
        } finally {
            executor.shutdown();
        }
    }

    private static int argMax(float[] logits, int row, int classes) {
        int best = 0;
        for (int c = 1; c < classes; c++) {
            if (logits[row * classes + c] > logits[row * classes + best]) {
                best = c;
            }
        }
        return best;
    }
}

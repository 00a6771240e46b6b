package dev.moeserve.profiler.cli;

import ai.djl.ndarray.NDManager;
import dev.moeserve.model.ProjectHome;
import dev.moeserve.model.bundle.Accuracy;
import dev.moeserve.model.data.FashionMnist;
import dev.moeserve.profiler.bundle.BundleExporter;
import dev.moeserve.profiler.train.Evaluation;
import dev.moeserve.profiler.model.DjlRuntime;
import dev.moeserve.profiler.model.VitMoe;
import dev.moeserve.model.vit.VitMoeConfig;
import dev.moeserve.profiler.train.MoeTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code moe train}: trains the reference ViT-MoE on Fashion-MNIST and writes a bundle. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train the reference ViT-MoE on Fashion-MNIST with DJL (PyTorch, CPU) and export a bundle.")
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--data", description = "Folder with the Fashion-MNIST IDX files (default: ${DEFAULT-VALUE}).")
    Path data = FashionMnist.DEBIAN_DIR;

    @Option(names = "--out", description = "Bundle folder to write (default: ${DEFAULT-VALUE}).")
    Path out = ProjectHome.path("models/fashion-vit-moe");

    @Option(names = "--epochs", description = "Training epochs (default: ${DEFAULT-VALUE}).")
    int epochs = 10;

    @Option(names = "--batch-size", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batchSize = 128;

    @Option(names = "--lr", description = "Peak Adam learning rate (default: ${DEFAULT-VALUE}).")
    float learningRate = 2e-3f;

    @Option(names = "--weight-decay", description = "Decoupled weight decay on matrices (default: ${DEFAULT-VALUE}).")
    float weightDecay = 0.05f;

    @Option(names = "--balance-weight", description = "Weight of the load-balancing loss (default: ${DEFAULT-VALUE}).")
    float balanceWeight = 0.02f;

    @Option(names = "--clip-norm", description = "Maximum global gradient L2 norm (default: ${DEFAULT-VALUE}).")
    float clipNorm = 1.0f;

    @Option(names = "--seed", description = "Seed for initialisation, shuffling and flips (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--limit", description = "Train on only the first N training images (0 = all).")
    int limit = 0;

    @Option(names = "--weights", description = "Start from these safetensors weights instead of a fresh"
            + " initialisation; with --epochs 0 the model is only evaluated and exported.")
    Path initialWeights;

    @Option(names = "--model-version", description = "Model version written to the manifest (default: ${DEFAULT-VALUE}).")
    String modelVersion = "1";

    @Override
    public Integer call() throws Exception {
        DjlRuntime.configure();
        FashionMnist.Split train = FashionMnist.readTrain(data);
        FashionMnist.Split test = FashionMnist.readTest(data);
        VitMoeConfig config = VitMoeConfig.reference();
        MoeTrainer.Options options = new MoeTrainer.Options(epochs, batchSize, learningRate, weightDecay,
                balanceWeight, clipNorm, seed, limit);
        System.out.printf("Training %s on %d images for %d epochs (seed %d)%n", config, 
                limit > 0 ? limit : train.count(), epochs, seed);
        try (NDManager manager = NDManager.newBaseManager()) {
            VitMoe model = initialWeights == null ? VitMoe.initialise(manager, config, seed)
                    : VitMoe.fromSafetensors(manager, config, initialWeights);
            if (epochs > 0) {
                new MoeTrainer(model, options, System.out).train(manager, train, test);
            }
            double accuracy = Evaluation.accuracy(manager, model, test, 500);
            System.out.printf("Test accuracy %.2f%% on %d images%n", accuracy * 100, test.count());
            Accuracy measured = new Accuracy("fashion-mnist test", test.count(), accuracy);
            BundleExporter.export(model, out, new BundleExporter.Options(BundleExporter.MODEL_NAME, modelVersion,
                    measured, null, null, null));
            System.out.println("Wrote bundle " + out.toAbsolutePath());
        }
        return 0;
    }
}

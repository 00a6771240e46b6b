package dev.moeserve.profiler.agf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.moeserve.model.data.FashionMnist;
import dev.moeserve.model.vit.VitMoeConfig;
import dev.moeserve.profiler.TestData;
import dev.moeserve.profiler.model.VitMoe;
import dev.moeserve.profiler.train.MoeTrainer;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;

/** Small ViT-MoE models trained for a few steps on real calibration images, for fast profiler tests. */
final class TinyModels {

    /** 7x7 patches (17 tokens), width 16, 2 heads, 2 layers of 4 experts, top-2, hidden 16. */
    static final VitMoeConfig CONFIG = new VitMoeConfig(4, 7, 16, 2, 2, 4, 2, 16, 10);

    private TinyModels() {
    }

    static FashionMnist.Split calibration() {
        try {
            return FashionMnist.readCalibration(TestData.root().resolve("data/fashion-mnist"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Trains a tiny model for two epochs on 1,024 calibration images. */
    static VitMoe trained(NDManager manager, long seed) {
        VitMoe model = VitMoe.initialise(manager, CONFIG, seed);
        MoeTrainer.Options options = new MoeTrainer.Options(2, 64, 3e-3f, 0f, 0.02f, 1f, seed, 1024);
        FashionMnist.Split data = calibration();
        PrintStream quiet = new PrintStream(PrintStream.nullOutputStream());
        new MoeTrainer(model, options, quiet).train(manager, data.slice(0, 1024), data.slice(1024, 1280));
        return model;
    }

    /** Sets every element of parameter {@code name} to {@code value}. */
    static void fill(VitMoe model, String name, float value) {
        NDArray p = model.parameter(name);
        p.subi(p).addi(value);
    }

    static NDArray images(NDManager manager, FashionMnist.Split data, int from, int count) {
        return manager.create(TestData.images(data, from, count), new Shape(count, 28, 28));
    }
}

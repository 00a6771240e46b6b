package dev.moeserve.loadtest.deploy;

import dev.moeserve.loadtest.testing.TinyBundles;
import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.model.bundle.Manifest;
import dev.moeserve.model.bundle.MoeLayerSpec;
import dev.moeserve.pool.ExpertId;
import dev.moeserve.router.policy.PolicyCompiler;
import dev.moeserve.router.policy.PolicyFiles;
import dev.moeserve.router.policy.PolicyTable;
import dev.moeserve.router.policy.ReducedPool;
import dev.moeserve.router.policy.TableSpec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Loads deploy/policies/policies.yaml with the router's own reader and compiler, for a router whose
 * backend holds only the reduced pool, as in docker-compose.yml and deploy/k8s where the workers serve
 * shards of the keep-0.5 bundle. A policy that could route outside the pool, a misspelt field or a
 * missing prior fails here as it would fail the router's start.
 */
class PoliciesFileTest {

    @TempDir
    Path work;

    @Test
    void compilesWhenOnlyPoolExpertsAreHeld() {
        TinyBundles.Pair bundles = TinyBundles.write(work);

        PolicyTable table = compile(Bundle.open(bundles.full()).manifest(), Bundle.open(bundles.reduced()).manifest());

        assertThat(table.current().arms()).isNotEmpty();
    }

    @Test
    void compilesAgainstReferenceBundles() {
        Path full = DeploymentFiles.ROOT.resolve("models/fashion-vit-moe");
        Path reduced = DeploymentFiles.ROOT.resolve("models/fashion-vit-moe-keep50");
        Assumptions.assumeTrue(Files.isDirectory(full) && Files.isDirectory(reduced),
                "the reference bundles are not in models/, so the table is checked on the tiny bundles only");

        PolicyTable table = compile(Bundle.open(full).manifest(), Bundle.open(reduced).manifest());

        assertThat(table.current().arms()).isNotEmpty();
    }

    private static PolicyTable compile(Manifest model, Manifest pool) {
        TableSpec spec = PolicyFiles.read(DeploymentFiles.POLICIES);
        Set<ExpertId> poolExperts = new HashSet<>();
        for (MoeLayerSpec layer : pool.layers()) {
            layer.expertFiles().keySet().forEach(expert -> poolExperts.add(new ExpertId(layer.index(), expert)));
        }
        ReducedPool reduced = ReducedPool.fromManifest(model, pool, "reduced bundle " + pool.name());
        PolicyCompiler compiler = new PolicyCompiler(model, reduced, poolExperts, UnaryOperator.identity());
        return new PolicyTable(compiler, spec, "policies file " + DeploymentFiles.POLICIES);
    }
}

package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pgha.common.PghaException;
import dev.pgha.common.model.ClusterView;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * An embedded ensemble (three witnesses: ZooKeeper peers and sentinels, no postgres) whose third node comes back with
 * a wrong store secret: it is refused and says why, the other two keep their quorum, and with the right secret it
 * takes part again.
 */
class QuorumAuthIT {
    @Test
    void aNodeWithAWrongSecretIsRefusedAndTheEnsembleKeepsItsQuorum() throws Exception {
        try (PghaCluster cluster = new PghaCluster("pgha-quorum-auth", 3, 3)) {
            cluster.start();
            for (PghaNode n : cluster.nodes) {
                await().atMost(PghaCluster.READY).until(() -> n.log().contains("ready: witness"));
            }
            ClusterView before = cluster.view();
            PghaNode third = cluster.node("node-3");
            assertThat(third.stop(Duration.ofSeconds(60))).isZero();

            third.env.put("PGHA_STORE_SECRET", "not-the-cluster-store-secret");
            third.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> !third.alive());
            assertThat(third.exitCode()).as(third.log()).isEqualTo(1);
            assertThat(third.log())
                    .contains("refused pgha's credentials (SASL DIGEST-MD5 as user pgha-pgha)")
                    .doesNotContain("not-the-cluster-store-secret")
                    .doesNotContain("ready: witness");
            // nodes 1 and 2 are a majority on their own: the store still answers
            assertThat(cluster.view()).isEqualTo(before);

            third.env.remove("PGHA_STORE_SECRET"); // back to the secret it derived and kept
            third.start();
            await().atMost(PghaCluster.READY).until(() -> third.log().contains("ready: witness"));
        }
    }

    @Test
    void withCertificatesTheEnsembleFormsOverTlsAndClientsMustSpeakIt() throws Exception {
        try (PghaCluster cluster = new PghaCluster("pgha-quorum-tls", 3, 3)) {
            TestCertificates certs = TestCertificates.create(cluster.baseDir.resolve("certs"));
            for (PghaNode n : cluster.nodes) {
                n.env.put("PGHA_TLS_CERT_FILE", certs.cert().toString());
                n.env.put("PGHA_TLS_KEY_FILE", certs.key().toString());
                n.env.put("PGHA_TLS_CA_FILE", certs.ca().toString());
            }
            cluster.start();
            for (PghaNode n : cluster.nodes) {
                await().atMost(PghaCluster.READY).until(() -> n.log().contains("ready: witness"));
            }
            PghaCli.Result status = PghaCli.run(cluster.node("node-1"), "status");
            assertThat(status.code()).as(status.toString()).isZero();
            assertThatThrownBy(cluster::view)
                    .as("a client without TLS (the test's observer) cannot reach the ensemble")
                    .isInstanceOf(PghaException.class)
                    .hasMessageStartingWith("cannot reach test ensemble");
        }
    }
}

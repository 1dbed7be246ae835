package dev.pgha.common.backup;

import dev.pgha.common.secret.Secret;
import java.nio.file.Path;
import java.util.Optional;

/** Where a cluster's backups and archived WAL live: one pgBackRest repository, the stanza being the cluster name. */
public sealed interface BackupRepository {

    /** How logs and errors name it (never a secret). */
    String describe();

    /** A directory every member mounts at the same path. */
    record Filesystem(Path path) implements BackupRepository {
        @Override
        public String describe() {
            return "the repository at " + path;
        }
    }

    /**
     * S3-compatible object storage.
     *
     * @param endpoint host[:port] pgBackRest connects to over HTTPS
     * @param pathStyle true: endpoint/bucket URLs; false: bucket.endpoint (AWS)
     */
    record S3(
            String endpoint,
            String bucket,
            String region,
            Secret key,
            Secret secret,
            String path,
            Optional<Path> caFile,
            boolean pathStyle)
            implements BackupRepository {
        @Override
        public String describe() {
            return "the S3 repository s3://" + bucket + path + " at " + endpoint;
        }
    }
}

package dev.pgha.app.daemon;

import dev.pgha.common.secret.Credentials;
import java.nio.file.Path;

/**
 * What a user sees once, when pgha generated passwords for a new cluster: Fly Postgres's creation summary plus a
 * ready connection string through the proxy. Printed to stdout, never to the log.
 */
final class CredentialsBanner {
    private CredentialsBanner() {}

    static String render(String cluster, Credentials credentials, int proxyPort, int pgPort, Path secretsFile) {
        StringBuilder b = new StringBuilder()
                .append("Postgres cluster ")
                .append(cluster)
                .append(" created\n")
                .append("  Username:    ")
                .append(Credentials.OPERATOR_ROLE)
                .append('\n');
        if (credentials.generated().contains("operatorPassword")) {
            b.append("  Password:    ")
                    .append(credentials.operatorPassword().reveal())
                    .append('\n');
        } else {
            b.append("  Password:    (the one in OPERATOR_PASSWORD)\n");
        }
        b.append("  Hostname:    ")
                .append(cluster)
                .append(".internal (localhost on this node)\n")
                .append("  Proxy Port:  ")
                .append(proxyPort)
                .append('\n')
                .append("  PG Port:     ")
                .append(pgPort)
                .append('\n');
        if (credentials.generated().contains("operatorPassword")) {
            b.append("Connect:       postgres://")
                    .append(Credentials.OPERATOR_ROLE)
                    .append(':')
                    .append(credentials.operatorPassword().reveal())
                    .append("@localhost:")
                    .append(proxyPort)
                    .append("/postgres\n");
        }
        b.append("Save your credentials in a secure place: they are shown only this once (generated passwords are ")
                .append("kept, readable by root only, in ")
                .append(secretsFile)
                .append(").\n");
        return b.toString();
    }
}

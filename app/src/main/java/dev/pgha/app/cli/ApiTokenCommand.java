package dev.pgha.app.cli;

import dev.pgha.app.api.ApiToken;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

@Command(
        name = "api-token",
        mixinStandardHelpOptions = true,
        description = {
            "Print the operations API's token (derived from the operator's password; the same on every member).",
            "Send it as Authorization: Bearer TOKEN, or as HTTP basic auth with user pgha, to POST /switchover, "
                    + "/failover, /restart, /reinitialize, /pause, /resume and PATCH /config on any member's health-check port."
        })
public final class ApiTokenCommand extends AdminCommand {
    @Override
    void run(Admin admin, PrintWriter out) {
        String token = ApiToken.derive(admin.operatorPassword(), admin.config().clusterName());
        report(out, token, "token", token, "basic_user", ApiToken.BASIC_USER);
    }
}

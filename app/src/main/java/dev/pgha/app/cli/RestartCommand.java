package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.Role;
import java.io.PrintWriter;
import java.io.Writer;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "restart",
        mixinStandardHelpOptions = true,
        description = {
            "Restart postgres on the members: --rolling restarts all of them one at a time (standbys, a "
                    + "switchover, then the old leader), so clients only see the switchover; MEMBER restarts one standby."
        })
public final class RestartCommand extends AdminCommand {
    @Option(names = "--rolling", description = "Every member, one at a time.")
    boolean rolling;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MEMBER", description = "One standby to restart.")
    String member;

    @Override
    void validate() {
        if (rolling == (member != null)) {
            throw new PghaException("give either --rolling (every member) or one MEMBER");
        }
    }

    @Override
    void run(Admin admin, PrintWriter out) {
        PrintWriter lines = json() ? new PrintWriter(Writer.nullWriter()) : out;
        if (rolling) {
            RollingRestart.Result r = RollingRestart.run(admin, lines);
            if (json()) {
                report(out, "", "restarted", r.restarted(), "switched_over_to", r.switchedOverTo());
            }
            return;
        }
        restartOne(admin, member, lines);
        if (json()) {
            report(out, "", "restarted", List.of(member));
        }
    }

    /** Restarts one standby's postgres and waits until it is back; refuses the leader (it would stop writes). */
    public static void restartOne(Admin admin, String member, PrintWriter lines) {
        checkStandby(
                admin,
                member,
                "restarting it would stop writes; use pgha restart --rolling (it switches over "
                        + "first) or pgha switchover, then restart it");
        // a standby whose postgres is stopped (a paused cluster) comes back a standby too
        RollingRestart.restart(admin.store(), member, Role.STANDBY, lines);
    }

    /** Refuses a member whose keeper does not report, and the leader ({@code why} says what to do instead). */
    static KeeperStatus checkStandby(Admin admin, String member, String why) {
        KeeperStatus k = admin.store()
                .snapshot()
                .keeper(member)
                .orElseThrow(() ->
                        new PghaException("member " + member + " is not running (pgha status lists the members)"));
        if (member.equals(admin.view().leader())) {
            throw new PghaException(member + " leads the cluster: " + why);
        }
        return k;
    }
}

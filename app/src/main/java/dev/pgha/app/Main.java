package dev.pgha.app;

import dev.pgha.app.cli.ApiTokenCommand;
import dev.pgha.app.cli.AttachCommand;
import dev.pgha.app.cli.BackupCommand;
import dev.pgha.app.cli.CheckCommand;
import dev.pgha.app.cli.CompletionCommand;
import dev.pgha.app.cli.ConfigCommand;
import dev.pgha.app.cli.ConnectCommand;
import dev.pgha.app.cli.DbCommand;
import dev.pgha.app.cli.DetachCommand;
import dev.pgha.app.cli.DsnCommand;
import dev.pgha.app.cli.FailoverCommand;
import dev.pgha.app.cli.HistoryCommand;
import dev.pgha.app.cli.ImportCommand;
import dev.pgha.app.cli.MemberCommand;
import dev.pgha.app.cli.PauseCommand;
import dev.pgha.app.cli.ReinitCommand;
import dev.pgha.app.cli.RestartCommand;
import dev.pgha.app.cli.RestoreCommand;
import dev.pgha.app.cli.ResumeCommand;
import dev.pgha.app.cli.StatusCommand;
import dev.pgha.app.cli.SwitchoverCommand;
import dev.pgha.app.cli.UsersCommand;
import dev.pgha.app.daemon.StartCommand;
import dev.pgha.app.daemon.StartWarmUp;
import dev.pgha.common.PghaException;
import dev.pgha.net.NettyDefaults;
import java.io.PrintWriter;
import java.security.Security;
import java.util.Arrays;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code pgha}: the command line. Exit codes: 0 success, 1 failure (one-line reason on stderr), 2 bad usage. */
@Command(
        name = "pgha",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Keeps PostgreSQL highly available: keeper, sentinel and proxy in one daemon.",
        subcommands = {
            StartCommand.class,
            CheckCommand.class,
            StatusCommand.class,
            SwitchoverCommand.class,
            FailoverCommand.class,
            PauseCommand.class,
            ResumeCommand.class,
            HistoryCommand.class,
            UsersCommand.class,
            DbCommand.class,
            AttachCommand.class,
            DetachCommand.class,
            ConfigCommand.class,
            RestartCommand.class,
            ReinitCommand.class,
            MemberCommand.class,
            BackupCommand.class,
            RestoreCommand.class,
            ConnectCommand.class,
            DsnCommand.class,
            ImportCommand.class,
            CompletionCommand.class,
            ApiTokenCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {
    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        // The daemon logs to stdout, its one stream; other commands keep stdout for their own output.
        boolean daemon = args.length > 0 && args[0].equals("start");
        if (!daemon) {
            System.setProperty("pgha.log.target", "System.err");
        }
        // Members' addresses are looked up by name (pg_hba.conf, ZooKeeper peers); a replaced container keeps its name
        // but not its address, so the JVM does not keep an answer for its default 30 s.
        Security.setProperty("networkaddress.cache.ttl", "5");
        // Nor a failure, which it keeps 10 s: a member's name does not resolve until its container runs, and a node
        // that looked it up a moment earlier (its ZooKeeper peer, pg_hba.conf) could not reach it as the new leader for
        // those 10 s; its proxy held clients the whole hold timeout and refused them (ContainerIT, in CI).
        Security.setProperty("networkaddress.cache.negative.ttl", "0");
        NettyDefaults.apply();
        // One log: what libraries log through java.util.logging goes through SLF4J too.
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        if (daemon) {
            // while picocli builds the command and the configuration is read; after the settings above, which a
            // library reads once
            StartWarmUp.begin();
        }
        int code;
        try {
            code = run(args);
        } catch (Throwable t) {
            // Never linger: ZooKeeper's quorum threads are not daemons and would keep a broken JVM alive.
            System.err.println("pgha: unexpected error (please report it): " + t);
            code = 70;
        }
        System.exit(code);
    }

    static int run(String[] args) {
        CommandLine cli = commandLine(args.length > 0 ? args[0] : null);
        // "@FILE" would make picocli read FILE as arguments, and an error would then quote its content: a secrets file
        // given to any command ended up in the message.
        cli.setExpandAtFiles(false);
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (ex instanceof PghaException) {
                err.println("pgha: " + ex.getMessage());
            } else {
                err.println("pgha: unexpected error (please report it): " + ex);
                ex.printStackTrace(err);
            }
            err.flush();
            return 1;
        });
        return cli.execute(args);
    }

    /**
     * The command line for a run whose first argument is {@code first}. picocli's model of every command takes about
     * 140 ms to build without a class-data archive, 80-90 ms with the one ./pgha uses (bench/cli.sh), which the
     * daemon's start and each short command would pay for the one they run: a command named first gets a root holding
     * that command alone, named as the whole tree names it. Anything else (no command, an option, a typo,
     * {@code help}, {@code completion}, which read the whole tree) gets the whole tree.
     */
    static CommandLine commandLine(String first) {
        Command root = Main.class.getAnnotation(Command.class);
        for (Class<?> sub : first == null ? new Class<?>[0] : root.subcommands()) {
            Command c = sub.getAnnotation(Command.class);
            boolean named = c != null
                    && (c.name().equals(first) || Arrays.asList(c.aliases()).contains(first));
            if (named && sub != CommandLine.HelpCommand.class && sub != CompletionCommand.class) {
                CommandLine cli = new CommandLine(
                        CommandSpec.wrapWithoutInspection(new Main()).name(root.name()));
                cli.addSubcommand(new CommandLine(sub));
                return cli;
            }
        }
        return new CommandLine(new Main());
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required, e.g. pgha start");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"pgha " + (v == null ? "(development build)" : v)};
        }
    }
}

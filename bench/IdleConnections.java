import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * bench/proxy.sh helper: opens N authenticated, idle postgres sessions through a port, prints "open N", and keeps
 * them until its stdin closes. Usage: IdleConnections PORT N (password in PGPASSWORD).
 */
public class IdleConnections {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int n = Integer.parseInt(args[1]);
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", System.getenv("PGPASSWORD"));
        p.setProperty("sslmode", "disable");
        p.setProperty("connectTimeout", "30");
        List<Connection> open = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            open.add(DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p));
        }
        System.out.println("open " + open.size());
        System.out.flush();
        while (System.in.read() >= 0) {
            // hold them until the script closes our stdin
        }
        for (Connection c : open) {
            c.close();
        }
    }
}

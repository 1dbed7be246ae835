package dev.pgha.keeper;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.fs.PrivateFiles;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * postgres's TLS certificate and key, in $dataDir/tls (owned by postgres's OS user, 0700; the files 0600). With
 * PGHA_TLS_CERT_FILE/KEY_FILE/CA_FILE they are copies of the operator's files, refreshed at every start, so the key
 * is readable by postgres whoever owns the original. Without them, a self-signed certificate is generated at the first
 * start and again when it has less than {@link #RENEW_BEFORE} left or does not name this node's addresses: clients
 * then get encryption with sslmode=require, and identity only with an operator's CA.
 */
final class ServerTls {
    private static final Logger log = LoggerFactory.getLogger(ServerTls.class);
    static final String CA = "ca.crt";
    static final Duration VALIDITY = Duration.ofDays(825);
    static final Duration RENEW_BEFORE = Duration.ofDays(30);
    private static final String ISSUER_PREFIX = "pgha self-signed ";

    private final Path dir;
    private final Path certFile;
    private final Path keyFile;
    private final PostgresOsUser user;

    ServerTls(PghaConfig config, PostgresOsUser user) {
        this.dir = config.tlsDir();
        this.certFile = config.serverCertFile();
        this.keyFile = config.serverKeyFile();
        this.user = user;
    }

    Path certFile() {
        return certFile;
    }

    Path keyFile() {
        return keyFile;
    }

    /**
     * libpq's TLS settings for pgha's connections to another member (replication, pg_basebackup, pg_rewind): always
     * encrypted; verified against the operator's CA when there is one (its copy here, readable by postgres).
     */
    static Map<String, String> clientSettings(Path tlsDir, boolean operatorCa) {
        return operatorCa
                ? Map.of(
                        "sslmode",
                        "verify-ca",
                        "sslrootcert",
                        tlsDir.resolve(CA).toString())
                : Map.of("sslmode", "require");
    }

    /** Puts the certificate postgres will use in place: the operator's, or a fresh or still good self-signed one. */
    void prepare(PghaConfig.Tls operator, String memberId, Collection<String> hostNames) throws IOException {
        Files.createDirectories(dir);
        user.own(dir);
        PrivateFiles.privateDirectory(dir);
        if (operator != null) {
            copy(operator.certFile(), certFile);
            copy(operator.keyFile(), keyFile);
            copy(operator.caFile(), dir.resolve(CA));
            return;
        }
        Files.deleteIfExists(dir.resolve(CA));
        Set<String> names = new LinkedHashSet<>(hostNames);
        names.add("localhost");
        names.add("127.0.0.1");
        names.add("::1");
        String why = renewalReason(names);
        if (why == null) {
            return;
        }
        generate(memberId, names);
        log.info(
                "generated a self-signed TLS certificate for postgres ({}), valid {} days, for {}",
                why,
                VALIDITY.toDays(),
                String.join(", ", names));
    }

    private void copy(Path from, Path to) throws IOException {
        byte[] content;
        try {
            content = Files.readAllBytes(from);
        } catch (IOException e) {
            throw new PghaException("cannot read " + from + " (PGHA_TLS_*): " + e.getMessage());
        }
        PrivateFiles.write(to, content);
        user.own(to);
    }

    /** Why the certificate in place must be replaced, or null when it is a good self-signed one. */
    private String renewalReason(Set<String> names) {
        Path cert = certFile;
        if (!Files.exists(cert, LinkOption.NOFOLLOW_LINKS) || !Files.exists(keyFile, LinkOption.NOFOLLOW_LINKS)) {
            return "none yet";
        }
        try (InputStream in = Files.newInputStream(cert, LinkOption.NOFOLLOW_LINKS)) {
            X509Certificate c =
                    (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            if (!c.getIssuerX500Principal().getName().contains(ISSUER_PREFIX)) {
                return "the one in place is not pgha's";
            }
            if (c.getNotAfter().toInstant().isBefore(Instant.now().plus(RENEW_BEFORE))) {
                return "the previous one expires on " + c.getNotAfter().toInstant();
            }
            Set<String> carried = new LinkedHashSet<>();
            if (c.getSubjectAlternativeNames() != null) {
                for (List<?> san : c.getSubjectAlternativeNames()) {
                    carried.add(String.valueOf(san.get(1)));
                }
            }
            for (String n : names) {
                if (!carried.contains(n) && !carried.contains(canonical(n))) {
                    return "the previous one does not name " + n;
                }
            }
            return null;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return "the previous one is unreadable";
        }
    }

    private void generate(String memberId, Set<String> names) throws IOException {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair pair = g.generateKeyPair();
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                    .addRDN(BCStyle.CN, ISSUER_PREFIX + memberId)
                    .build();
            Instant now = Instant.now();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    subject,
                    new BigInteger(127, new SecureRandom()),
                    Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(VALIDITY)),
                    subject,
                    pair.getPublic());
            List<GeneralName> sans = new ArrayList<>();
            for (String n : names) {
                sans.add(
                        MemberAddresses.ipLiteral(n)
                                ? new GeneralName(GeneralName.iPAddress, n)
                                : new GeneralName(GeneralName.dNSName, n));
            }
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            X509Certificate cert = new JcaX509CertificateConverter()
                    .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
            write(keyFile, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
            write(certFile, pem("CERTIFICATE", cert.getEncoded()));
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new PghaException("cannot generate postgres's TLS certificate: " + e.getMessage());
        }
    }

    private void write(Path to, String content) throws IOException {
        PrivateFiles.write(to, content.getBytes(StandardCharsets.US_ASCII));
        user.own(to);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** How the JDK spells an IP address in a certificate ("::1" comes back as "0:0:0:0:0:0:0:1"). */
    private static String canonical(String n) {
        if (!MemberAddresses.ipLiteral(n)) {
            return n;
        }
        try {
            return InetAddress.getByName(n).getHostAddress();
        } catch (IOException e) {
            return n;
        }
    }
}

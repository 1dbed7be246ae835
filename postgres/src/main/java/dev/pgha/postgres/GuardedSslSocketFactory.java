package dev.pgha.postgres;

import dev.pgha.common.tls.PemFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Properties;
import javax.net.ssl.HandshakeCompletedListener;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The TLS sockets of pgha's own connections to other members (pgjdbc's {@code sslfactory}): the password guard of
 * {@link PasswordGuardSocketFactory} watches the start-up exchange inside TLS, where it happens then. With a CA
 * ({@code sslrootcert}, the operator's PGHA_TLS_CA_FILE) the server's certificate must chain to it; without one the
 * connection is encrypted but the server unverified (libpq's sslmode=require), and the guard still keeps the password
 * from a server that asks for it in cleartext.
 */
public final class GuardedSslSocketFactory extends SSLSocketFactory {
    private final SSLSocketFactory tls;

    public GuardedSslSocketFactory(Properties info) throws GeneralSecurityException, IOException {
        String ca = info.getProperty("sslrootcert");
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(
                null,
                ca == null ? new TrustManager[] {new UnverifiedTrust()} : PemFiles.caTrust(Path.of(ca)),
                new SecureRandom());
        this.tls = context.getSocketFactory();
    }

    @Override
    public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
        return new Guarded((SSLSocket) tls.createSocket(s, host, port, autoClose));
    }

    @Override
    public String[] getDefaultCipherSuites() {
        return tls.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
        return tls.getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        throw new SocketException("only layered over a connected socket");
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        throw new SocketException("only layered over a connected socket");
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        throw new SocketException("only layered over a connected socket");
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        throw new SocketException("only layered over a connected socket");
    }

    /** Trusts any server certificate: encryption without identity (sslmode=require). */
    private static final class UnverifiedTrust implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    /** An SSLSocket whose input passes the password guard; everything else is the real socket's. */
    private static final class Guarded extends SSLSocket {
        private final SSLSocket s;
        private InputStream guarded;

        Guarded(SSLSocket s) {
            this.s = s;
        }

        @Override
        public synchronized InputStream getInputStream() throws IOException {
            if (guarded == null) {
                guarded = new PasswordGuardSocketFactory.AuthenticationGuard(
                        s.getInputStream(), s.getRemoteSocketAddress());
            }
            return guarded;
        }

        @Override
        public OutputStream getOutputStream() throws IOException {
            return s.getOutputStream();
        }

        @Override
        public void close() throws IOException {
            s.close();
        }

        @Override
        public boolean isClosed() {
            return s.isClosed();
        }

        @Override
        public boolean isConnected() {
            return s.isConnected();
        }

        @Override
        public boolean isBound() {
            return s.isBound();
        }

        @Override
        public void setSoTimeout(int timeout) throws SocketException {
            s.setSoTimeout(timeout);
        }

        @Override
        public int getSoTimeout() throws SocketException {
            return s.getSoTimeout();
        }

        @Override
        public void setTcpNoDelay(boolean on) throws SocketException {
            s.setTcpNoDelay(on);
        }

        @Override
        public boolean getTcpNoDelay() throws SocketException {
            return s.getTcpNoDelay();
        }

        @Override
        public void setKeepAlive(boolean on) throws SocketException {
            s.setKeepAlive(on);
        }

        @Override
        public boolean getKeepAlive() throws SocketException {
            return s.getKeepAlive();
        }

        @Override
        public void setReceiveBufferSize(int size) throws SocketException {
            s.setReceiveBufferSize(size);
        }

        @Override
        public int getReceiveBufferSize() throws SocketException {
            return s.getReceiveBufferSize();
        }

        @Override
        public void setSendBufferSize(int size) throws SocketException {
            s.setSendBufferSize(size);
        }

        @Override
        public int getSendBufferSize() throws SocketException {
            return s.getSendBufferSize();
        }

        @Override
        public void setSoLinger(boolean on, int linger) throws SocketException {
            s.setSoLinger(on, linger);
        }

        @Override
        public int getSoLinger() throws SocketException {
            return s.getSoLinger();
        }

        @Override
        public void shutdownInput() throws IOException {
            s.shutdownInput();
        }

        @Override
        public void shutdownOutput() throws IOException {
            s.shutdownOutput();
        }

        @Override
        public boolean isInputShutdown() {
            return s.isInputShutdown();
        }

        @Override
        public boolean isOutputShutdown() {
            return s.isOutputShutdown();
        }

        @Override
        public InetAddress getInetAddress() {
            return s.getInetAddress();
        }

        @Override
        public InetAddress getLocalAddress() {
            return s.getLocalAddress();
        }

        @Override
        public int getPort() {
            return s.getPort();
        }

        @Override
        public int getLocalPort() {
            return s.getLocalPort();
        }

        @Override
        public SocketAddress getRemoteSocketAddress() {
            return s.getRemoteSocketAddress();
        }

        @Override
        public SocketAddress getLocalSocketAddress() {
            return s.getLocalSocketAddress();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return s.getSupportedCipherSuites();
        }

        @Override
        public String[] getEnabledCipherSuites() {
            return s.getEnabledCipherSuites();
        }

        @Override
        public void setEnabledCipherSuites(String[] suites) {
            s.setEnabledCipherSuites(suites);
        }

        @Override
        public String[] getSupportedProtocols() {
            return s.getSupportedProtocols();
        }

        @Override
        public String[] getEnabledProtocols() {
            return s.getEnabledProtocols();
        }

        @Override
        public void setEnabledProtocols(String[] protocols) {
            s.setEnabledProtocols(protocols);
        }

        @Override
        public SSLSession getSession() {
            return s.getSession();
        }

        @Override
        public SSLSession getHandshakeSession() {
            return s.getHandshakeSession();
        }

        @Override
        public SSLParameters getSSLParameters() {
            return s.getSSLParameters();
        }

        @Override
        public void setSSLParameters(SSLParameters params) {
            s.setSSLParameters(params);
        }

        @Override
        public String getApplicationProtocol() {
            return s.getApplicationProtocol();
        }

        @Override
        public void addHandshakeCompletedListener(HandshakeCompletedListener listener) {
            s.addHandshakeCompletedListener(listener);
        }

        @Override
        public void removeHandshakeCompletedListener(HandshakeCompletedListener listener) {
            s.removeHandshakeCompletedListener(listener);
        }

        @Override
        public void startHandshake() throws IOException {
            s.startHandshake();
        }

        @Override
        public void setUseClientMode(boolean mode) {
            s.setUseClientMode(mode);
        }

        @Override
        public boolean getUseClientMode() {
            return s.getUseClientMode();
        }

        @Override
        public void setNeedClientAuth(boolean need) {
            s.setNeedClientAuth(need);
        }

        @Override
        public boolean getNeedClientAuth() {
            return s.getNeedClientAuth();
        }

        @Override
        public void setWantClientAuth(boolean want) {
            s.setWantClientAuth(want);
        }

        @Override
        public boolean getWantClientAuth() {
            return s.getWantClientAuth();
        }

        @Override
        public void setEnableSessionCreation(boolean flag) {
            s.setEnableSessionCreation(flag);
        }

        @Override
        public boolean getEnableSessionCreation() {
            return s.getEnableSessionCreation();
        }
    }
}

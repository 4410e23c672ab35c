package dev.graphseed.neo4jtest;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.configuration.ssl.ClientAuth;
import org.neo4j.configuration.ssl.SslPolicyConfig;
import org.neo4j.configuration.ssl.SslPolicyScope;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;

/**
 * graphseed's Neo4j test server: Neo4j Community embedded, reachable over Bolt on
 * 127.0.0.1 only, for the Rust integration tests (tests/it/support/neo4j.rs).
 *
 * <p>Protocol with the parent process:
 *
 * <ul>
 *   <li>stdout carries exactly one line, {@code GRAPHSEED_NEO4J_READY bolt://127.0.0.1:<port>
 *       <version>}, once the server accepts Bolt connections. Everything else (including
 *       anything Neo4j or a library prints to System.out) goes to stderr.
 *   <li>The server lives exactly as long as its stdin stays open. The parent keeps the write end
 *       of a pipe and never writes to it; when the parent exits, for any reason including
 *       SIGKILL or a panic, the kernel closes that end, we read EOF and shut down. This is the
 *       one mechanism that cannot be skipped by a crashing parent, so no JVM outlives a test run.
 *   <li>SIGTERM / SIGINT / SIGHUP run the JVM shutdown hook, which does the same clean shutdown.
 * </ul>
 *
 * <p>Flags: {@code --port N} (default: a free port), {@code --data-dir DIR} (keep the store
 * there and never delete it, for restart tests; default: a fresh temp dir deleted on exit),
 * {@code --pagecache-mb N} (default 512), {@code --ignore-stdin} (for a server started by hand
 * in the background with stdin at /dev/null; it then stops only on a signal), {@code --tls}
 * (Bolt requires TLS with a self-signed certificate made at start; the ready line then reads
 * {@code bolt+ssc://127.0.0.1:<port>} and the certificate's PEM path follows on stderr).
 */
public final class Main {
    static final String READY_PREFIX = "GRAPHSEED_NEO4J_READY";
    static final String TEMP_PREFIX = "graphseed-neo4j-";
    private static final int PORT_ATTEMPTS = 5;

    /** Guards {@link #dbms} and {@link #stopping}: startup and shutdown never interleave. */
    private static final Object LOCK = new Object();

    private static DatabaseManagementService dbms;
    private static boolean stopping;
    private static Path home;
    private static boolean deleteHome;

    private Main() {}

    public static void main(String[] args) {
        // Keep the real stdout for the ready line only; anything else that prints to System.out
        // (Neo4j, netty, log4j fallbacks) must not corrupt the protocol with the parent.
        PrintStream protocolOut = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        System.setOut(System.err);
        long started = System.nanoTime();

        Options opts;
        try {
            opts = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("neo4j-test-server: " + e.getMessage());
            System.err.println(Options.USAGE);
            System.exit(2);
            return;
        }
        if (opts.help) {
            System.err.println(Options.USAGE);
            return;
        }

        // Registered before anything is created, so a signal during startup still cleans up.
        Runtime.getRuntime().addShutdownHook(new Thread(Main::shutdown, "graphseed-neo4j-shutdown"));
        if (!opts.ignoreStdin) {
            startStdinWatcher();
        }

        try {
            if (opts.dataDir != null) {
                home = opts.dataDir.toAbsolutePath();
                Files.createDirectories(home);
                deleteHome = false;
            } else {
                sweepStaleTempDirs();
                home = Files.createTempDirectory(TEMP_PREFIX + ProcessHandle.current().pid() + "-");
                deleteHome = true;
            }
        } catch (IOException e) {
            fail("cannot create the data directory: " + e, e);
            return;
        }

        Path certDir = null;
        if (opts.tls) {
            try {
                certDir = makeSelfSignedCertificate(home.resolve("certificates").resolve("bolt"));
            } catch (IOException | RuntimeException e) {
                fail("cannot make a self-signed certificate for --tls: " + e, e);
                return;
            }
        }

        int port = -1;
        GraphDatabaseService db = null;
        for (int attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
            // A port picked by binding port 0 can be taken by someone else before Neo4j binds it;
            // retry with a fresh one rather than fail the whole test run on that race.
            port = opts.port > 0 ? opts.port : freePort();
            try {
                db = startDbms(opts, port, certDir);
                break;
            } catch (RuntimeException e) {
                boolean retry = opts.port <= 0 && attempt < PORT_ATTEMPTS && looksLikeBindFailure(e);
                System.err.println("neo4j-test-server: start on port " + port + " failed: " + e
                        + (retry ? " (retrying on another port)" : ""));
                if (!retry) {
                    fail("Neo4j did not start (logs: " + home.resolve("logs") + ")", e);
                    return;
                }
                synchronized (LOCK) {
                    stopDbmsLocked();
                }
            }
        }

        String version;
        try {
            if (!db.isAvailable(120_000)) {
                fail("the default database did not become available within 120 s", null);
                return;
            }
            waitForBolt(port);
            version = db.executeTransactionally(
                    "CALL dbms.components() YIELD versions RETURN versions[0] AS v",
                    Map.of(),
                    r -> String.valueOf(r.next().get("v")));
        } catch (RuntimeException e) {
            fail("Neo4j started but is not usable", e);
            return;
        }

        System.err.printf("neo4j-test-server: Neo4j %s ready on 127.0.0.1:%d in %.1fs (data: %s%s)%n",
                version, port, (System.nanoTime() - started) / 1e9, home,
                deleteHome ? ", deleted on exit" : ", kept");
        if (certDir != null) {
            System.err.println("neo4j-test-server: Bolt requires TLS; self-signed certificate: "
                    + certDir.resolve("public.crt"));
        }
        // The scheme tells the client what the server speaks: TLS with a certificate that no
        // root vouches for (`+ssc`), or plaintext.
        String scheme = certDir != null ? "bolt+ssc" : "bolt";
        protocolOut.println(READY_PREFIX + " " + scheme + "://127.0.0.1:" + port + " " + version);
        protocolOut.flush();
        // main returns; the non-daemon Neo4j threads keep the JVM alive until a shutdown trigger.
    }

    private static GraphDatabaseService startDbms(Options opts, int port, Path certDir) {
        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home)
                // Loopback only, no auth, TLS only with --tls: this is a throwaway test server.
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.encryption_level, certDir != null
                        ? BoltConnector.EncryptionLevel.REQUIRED
                        : BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                // Never phone home from a test machine.
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, opts.pagecacheMb * 1024L * 1024L)
                // Preallocating 256 MiB transaction logs costs seconds and disk for nothing here.
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                // Keep no transaction log beyond what recovery needs: the
                // default keeps two days of them, and a benchmark writing a
                // million episodes a few times over filled 28 GB of disk
                // with logs nobody reads. Logs are pruned at a checkpoint,
                // which Community runs by time or transaction count only (the
                // volume trigger is Enterprise's): every 5 minutes here
                // instead of 15, so a long benchmark keeps a few GB at most.
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "false")
                .setConfig(GraphDatabaseSettings.check_point_interval_time, Duration.ofMinutes(5))
                .setConfig(GraphDatabaseSettings.logs_directory, home.resolve("logs"))
                // The stores are checkpointed and closed before Bolt stops; the default 5 s + 5 s
                // graceful waits for idle Bolt threads would only make every test run 10 s longer.
                .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1))
                .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1));
        if (certDir != null) {
            // neo4j.conf's dbms.ssl.policy.bolt.*: private.key + public.crt in the base directory,
            // no client certificates.
            SslPolicyConfig bolt = SslPolicyConfig.forScope(SslPolicyScope.BOLT);
            builder.setConfig(bolt.enabled, true)
                    .setConfig(bolt.base_directory, certDir)
                    .setConfig(bolt.private_key, certDir.resolve("private.key"))
                    .setConfig(bolt.public_certificate, certDir.resolve("public.crt"))
                    .setConfig(bolt.trusted_dir, certDir.resolve("trusted"))
                    .setConfig(bolt.revoked_dir, certDir.resolve("revoked"))
                    .setConfig(bolt.client_auth, ClientAuth.NONE);
        }
        synchronized (LOCK) {
            if (stopping) {
                throw new IllegalStateException("shutdown requested during startup");
            }
            dbms = builder.build();
            return dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        }
    }

    /**
     * Makes {@code dir/private.key} (PKCS#8 PEM) and {@code dir/public.crt} (PEM): an RSA key and
     * a certificate for CN=localhost with subject alternative names localhost and 127.0.0.1, valid
     * for 7 days, signed by itself. The JDK's keytool generates them (Neo4j ships no BouncyCastle,
     * and the JDK's own certificate classes are not exported); the PKCS#12 store it writes is then
     * read back with {@link KeyStore} and written out in the PEM form Neo4j expects. Because the
     * SAN matches the address, a verifying client fails on the issuer alone ("not trusted"), which
     * is the case the tests want to show.
     */
    static Path makeSelfSignedCertificate(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("trusted"));
        Files.createDirectories(dir.resolve("revoked"));
        Path store = dir.resolve("keystore.p12");
        String pass = "graphseed-test"; // protects nothing: the store is deleted right away
        Path keytool = Paths.get(System.getProperty("java.home"), "bin", "keytool");
        List<String> cmd = new ArrayList<>(List.of(
                keytool.toString(), "-genkeypair", "-noprompt",
                "-alias", "bolt", "-keyalg", "RSA", "-keysize", "2048", "-validity", "7",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass", pass, "-keypass", pass));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(dir.resolve("keytool.log").toFile()))
                .start();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("keytool did not finish within 120 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for keytool", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("keytool exited " + p.exitValue() + ": "
                    + Files.readString(dir.resolve("keytool.log")));
        }
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                ks.load(in, pass.toCharArray());
            }
            Key key = ks.getKey("bolt", pass.toCharArray());
            Certificate cert = ks.getCertificate("bolt");
            // Key.getEncoded() of an RSA private key is PKCS#8 DER.
            Files.writeString(dir.resolve("private.key"), pem("PRIVATE KEY", key.getEncoded()));
            Files.writeString(dir.resolve("public.crt"), pem("CERTIFICATE", cert.getEncoded()));
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot read the keystore keytool wrote", e);
        } finally {
            Files.deleteIfExists(store);
        }
        return dir;
    }

    private static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    /** Idempotent; runs in the shutdown hook (signals, System.exit from the stdin watcher). */
    private static void shutdown() {
        synchronized (LOCK) {
            if (stopping) {
                return;
            }
            stopping = true;
            stopDbmsLocked();
            if (deleteHome && home != null) {
                try {
                    deleteRecursively(home);
                } catch (IOException e) {
                    System.err.println("neo4j-test-server: could not delete " + home + ": " + e);
                }
            }
        }
    }

    private static void stopDbmsLocked() {
        if (dbms != null) {
            try {
                dbms.shutdown();
            } catch (RuntimeException e) {
                System.err.println("neo4j-test-server: error during shutdown: " + e);
            }
            dbms = null;
        }
    }

    /**
     * Reads stdin until EOF, then exits (running the shutdown hook). EOF means the parent closed
     * its end of the pipe or died: either way nobody will use this server again, and staying up
     * would leak a JVM with a 2 GiB heap into the rest of the CI run.
     */
    private static void startStdinWatcher() {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[256];
            try {
                InputStream in = System.in;
                while (in.read(buf) != -1) {
                    // The parent never writes; anything it does write is ignored.
                }
            } catch (IOException e) {
                // A broken stdin is as final as EOF.
            }
            System.err.println("neo4j-test-server: stdin closed, shutting down");
            System.exit(0);
        }, "graphseed-neo4j-stdin-watch");
        t.setDaemon(true);
        t.start();
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("cannot find a free port on 127.0.0.1", e);
        }
    }

    /** Belt and braces: the Bolt connector should be bound once build() returns; make sure. */
    private static void waitForBolt(int port) {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Bolt port " + port + " not accepting connections", e);
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(ie);
                }
            }
        }
    }

    private static boolean looksLikeBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String name = t.getClass().getName();
            String msg = String.valueOf(t.getMessage());
            if (name.contains("PortBind") || t instanceof java.net.BindException
                    || msg.contains("Address already in use")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Deletes temp data dirs left by launchers that were SIGKILLed (no hook ran). The dir name
     * carries the owner's pid; a dir whose owner is gone is garbage.
     */
    private static void sweepStaleTempDirs() {
        Path tmp = Paths.get(System.getProperty("java.io.tmpdir"));
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, TEMP_PREFIX + "*")) {
            for (Path dir : dirs) {
                String rest = dir.getFileName().toString().substring(TEMP_PREFIX.length());
                int dash = rest.indexOf('-');
                if (dash <= 0) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(rest.substring(0, dash));
                } catch (NumberFormatException e) {
                    continue;
                }
                Optional<ProcessHandle> owner = ProcessHandle.of(pid);
                if (owner.isEmpty() || !owner.get().isAlive()) {
                    try {
                        deleteRecursively(dir);
                    } catch (IOException e) {
                        // Best effort only.
                    }
                }
            }
        } catch (IOException e) {
            // Best effort only.
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void fail(String message, Throwable cause) {
        System.err.println("neo4j-test-server: FAILED: " + message);
        if (cause != null) {
            cause.printStackTrace(System.err);
        }
        // Exit status 1; the shutdown hook stops whatever was started and deletes the temp dir.
        System.exit(1);
    }

    static final class Options {
        static final String USAGE = "usage: neo4j-test-server [--port N] [--data-dir DIR] "
                + "[--pagecache-mb N] [--ignore-stdin] [--tls]\n"
                + "  prints '" + READY_PREFIX + " bolt://127.0.0.1:<port> <version>' on stdout when ready\n"
                + "  (bolt+ssc:// with --tls: Bolt then requires TLS, self-signed certificate);\n"
                + "  stops on stdin EOF (unless --ignore-stdin) or SIGTERM/SIGINT.";

        int port = -1;
        Path dataDir;
        long pagecacheMb = 512;
        boolean ignoreStdin;
        boolean tls;
        boolean help;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--port":
                        o.port = parseInt(a, value(args, ++i, a), 1, 65535);
                        break;
                    case "--data-dir":
                        o.dataDir = Paths.get(value(args, ++i, a));
                        break;
                    case "--pagecache-mb":
                        o.pagecacheMb = parseInt(a, value(args, ++i, a), 8, 1 << 20);
                        break;
                    case "--ignore-stdin":
                        o.ignoreStdin = true;
                        break;
                    case "--tls":
                        o.tls = true;
                        break;
                    case "-h":
                    case "--help":
                        o.help = true;
                        break;
                    default:
                        throw new IllegalArgumentException("unknown argument: " + a);
                }
            }
            return o;
        }

        private static String value(String[] args, int i, String flag) {
            if (i >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            return args[i];
        }

        private static int parseInt(String flag, String v, int min, int max) {
            try {
                int n = Integer.parseInt(v);
                if (n < min || n > max) {
                    throw new IllegalArgumentException(flag + " must be in " + min + ".." + max + ": " + v);
                }
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + " needs a number: " + v);
            }
        }
    }
}

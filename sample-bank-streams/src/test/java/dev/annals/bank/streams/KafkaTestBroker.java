package dev.annals.bank.streams;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.internals.Exit;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real single-node Kafka broker in KRaft mode (broker and controller in one process), run
 * inside the test JVM from the Kafka jars, so the tests need neither Docker nor a separate
 * installation. Register it on a static field; the broker starts before the class's tests and
 * is deleted, log directory and all, after them.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final KafkaTestBroker kafka = KafkaTestBroker.create();
 * }</pre>
 *
 * <p>{@link #stop()} shuts the broker down cleanly and keeps its log directory and ports;
 * {@link #start()} brings the same broker back with its data, at the same address, so clients
 * that were connected before reconnect on their own. That lets a test take Kafka away under a
 * running producer or consumer.
 *
 * <p>Start and stop are synchronized; {@link #bootstrapServers()} may be called from any thread.
 */
public final class KafkaTestBroker implements BeforeAllCallback, AfterAllCallback {

  private static final int NODE_ID = 1;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private Path logDir;
  private int brokerPort;
  private int controllerPort;
  private KafkaConfig config;
  private KafkaRaftServer server;

  private KafkaTestBroker() {}

  /** A broker that starts before the tests of the class registering it. */
  public static KafkaTestBroker create() {
    return new KafkaTestBroker();
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    // A fatal error in the broker calls Exit, which would end the test JVM without a word.
    Exit.setExitProcedure((code, message) -> {
      throw new IllegalStateException("the test broker asked to exit with " + code + ": " + message);
    });
    Exit.setHaltProcedure((code, message) -> {
      throw new IllegalStateException("the test broker asked to halt with " + code + ": " + message);
    });
    logDir = Files.createTempDirectory("annals-kafka-");
    brokerPort = freePort();
    controllerPort = freePort();
    config = KafkaConfig.fromProps(properties());
    format();
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) throws IOException {
    try {
      stop();
    } finally {
      Exit.resetExitProcedure();
      Exit.resetHaltProcedure();
      deleteRecursively(logDir);
    }
  }

  /** {@code host:port} of the broker's client listener; stable across {@link #stop()} and {@link #start()}. */
  String bootstrapServers() {
    return "127.0.0.1:" + brokerPort;
  }

  /**
   * Starts the broker (again) on its log directory and ports and waits until it answers
   * metadata requests. Does nothing if it is running.
   */
  synchronized void start() {
    if (server != null) {
      return;
    }
    KafkaRaftServer s = new KafkaRaftServer(config, Time.SYSTEM);
    s.startup();
    server = s;
    awaitReady();
  }

  /** Shuts the broker down cleanly, keeping its data for {@link #start()}. Does nothing if stopped. */
  synchronized void stop() {
    if (server == null) {
      return;
    }
    KafkaRaftServer s = server;
    server = null;
    s.shutdown();
    s.awaitShutdown();
  }

  /** Whether the broker is running. */
  synchronized boolean running() {
    return server != null;
  }

  /** Creates a topic with replication factor 1, unless it exists. */
  void createTopic(String name, int partitions) {
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all()
          .get(READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException("cannot create topic " + name + " on " + bootstrapServers(), e.getCause());
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot create topic " + name + " on " + bootstrapServers(), e);
    }
  }

  /** An admin client on the broker; the caller closes it. */
  Admin admin() {
    return Admin.create(Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) READY_TIMEOUT.toMillis()));
  }

  private void awaitReady() {
    try (Admin admin = admin()) {
      admin.describeCluster().nodes().get(READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("the test broker at " + bootstrapServers() + " (log dir "
          + logDir + ") did not answer within " + READY_TIMEOUT, e);
    }
  }

  private Properties properties() {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", String.valueOf(NODE_ID));
    p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
    p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("log.dirs", logDir.toString());
    // One node: every internal topic has one replica, and few partitions keep start-up short.
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "1");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "1");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("min.insync.replicas", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("auto.create.topics.enable", "false");
    p.put("num.network.threads", "2");
    p.put("num.io.threads", "2");
    p.put("background.threads", "2");
    p.put("log.cleaner.enable", "false");
    return p;
  }

  private void format() throws Exception {
    Formatter formatter = new Formatter()
        .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
        .setNodeId(NODE_ID)
        .setClusterId(Uuid.randomUuid().toString())
        .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
        .setControllerListenerName("CONTROLLER")
        .setMetadataLogDirectory(config.metadataLogDir());
    formatter.addDirectory(logDir.toString());
    formatter.run();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void deleteRecursively(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the test broker's log dir " + dir, e);
    }
  }
}

package dev.annals.messaging.sqs;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/** An SQS-compatible server (ElasticMQ) in the test's JVM, on a free port of 127.0.0.1. */
final class ElasticMq implements AutoCloseable {

  /** Made-up credentials: the server accepts any, and no test output may show them. */
  static final String SECRET_KEY = "wJalrXUtnFEMI-test-secret";

  private final SQSRestServer server;
  private final int port;

  private ElasticMq() {
    server = SQSRestServerBuilder.withInterface("127.0.0.1").withDynamicPort().start();
    port = server.waitUntilStarted().localAddress().getPort();
  }

  static ElasticMq start() {
    return new ElasticMq();
  }

  int port() {
    return port;
  }

  /** A client of the server through 127.0.0.1:{@code port} (the server's or a proxy's). */
  static SqsClient client(int port) {
    return SqsClient.builder()
        .endpointOverride(URI.create("http://127.0.0.1:" + port))
        .region(Region.EU_WEST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIATEST", SECRET_KEY)))
        .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(5))
            .socketTimeout(Duration.ofSeconds(30)).build())
        .overrideConfiguration(c -> c.retryStrategy(RetryMode.STANDARD))
        .build();
  }

  /**
   * Makes a queue named {@code name} (FIFO if it ends in {@code .fifo}) with a dead-letter
   * queue {@code <name>-dead} of the same kind behind its redrive policy; returns its URL.
   */
  static String queueWithDeadLetters(SqsClient client, String name) {
    boolean fifo = name.endsWith(".fifo");
    String deadName = fifo ? name.replace(".fifo", "-dead.fifo") : name + "-dead";
    String dead = client.createQueue(r -> r.queueName(deadName).attributes(attributes(fifo, Map.of()))).queueUrl();
    String arn = client.getQueueAttributes(r -> r.queueUrl(dead).attributeNames(QueueAttributeName.QUEUE_ARN))
        .attributes().get(QueueAttributeName.QUEUE_ARN);
    String policy = "{\"deadLetterTargetArn\":\"" + arn + "\",\"maxReceiveCount\":\"10\"}";
    return client.createQueue(r -> r.queueName(name)
        .attributes(attributes(fifo, Map.of(QueueAttributeName.REDRIVE_POLICY, policy)))).queueUrl();
  }

  static String deadLetterUrl(String queueUrl) {
    return queueUrl.endsWith(".fifo") ? queueUrl.replace(".fifo", "-dead.fifo") : queueUrl + "-dead";
  }

  private static Map<QueueAttributeName, String> attributes(boolean fifo, Map<QueueAttributeName, String> more) {
    Map<QueueAttributeName, String> a = new java.util.HashMap<>(more);
    if (fifo) {
      a.put(QueueAttributeName.FIFO_QUEUE, "true");
      a.put(QueueAttributeName.CONTENT_BASED_DEDUPLICATION, "false");
    }
    return a;
  }

  /**
   * Starts stopping the server without waiting for it: on a busy machine its actor system took
   * more than the minute {@code stopAndWait} allows, which failed a test class whose tests had all
   * passed. Nothing depends on the stop: each test class starts its own server on a free port.
   */
  @Override
  public void close() {
    server.stopAndGetFuture().apply();
  }
}

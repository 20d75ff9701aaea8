package dev.annals.bank.streams;

import java.util.List;
import org.apache.kafka.common.utils.internals.Exit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The demo's {@link InProcessKafka} as a JUnit extension: a real single-node broker in KRaft mode
 * in the test JVM, started before the class's tests and deleted after them.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final KafkaTestBroker kafka = KafkaTestBroker.create();
 * }</pre>
 */
final class KafkaTestBroker implements BeforeAllCallback, AfterAllCallback {

  private InProcessKafka kafka;

  private KafkaTestBroker() {}

  static KafkaTestBroker create() {
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
    kafka = InProcessKafka.start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    try {
      if (kafka != null) {
        kafka.close();
      }
    } finally {
      Exit.resetExitProcedure();
      Exit.resetHaltProcedure();
    }
  }

  String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  void createTopic(String name, int partitions) {
    InProcessKafka.createTopics(bootstrapServers(), List.of(name), partitions);
  }
}

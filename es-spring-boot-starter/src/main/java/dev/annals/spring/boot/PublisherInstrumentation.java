package dev.annals.spring.boot;

import dev.annals.messaging.MessageSink;
import dev.annals.projections.ProjectionRunner;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;

/**
 * What one observability module adds to the publishers of {@code annals.publishers}: kept apart
 * from {@link Instrumentation} because it names es-messaging's types, which are on the class path
 * only when publishers can be configured at all.
 *
 * @param sink wraps a publisher's sink, given the publisher's name
 * @param runner is told the runner and each publisher's name once the runner is built
 */
record PublisherInstrumentation(BiFunction<String, MessageSink, MessageSink> sink,
    BiConsumer<ProjectionRunner, String> runner) {

  /** {@code sink} as every instrumentation wraps it, in bean order. */
  static MessageSink wrap(String publisher, MessageSink sink, List<PublisherInstrumentation> all) {
    MessageSink wrapped = sink;
    for (PublisherInstrumentation i : all) {
      wrapped = i.sink.apply(publisher, wrapped);
    }
    return wrapped;
  }
}

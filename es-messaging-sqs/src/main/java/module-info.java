/** The Amazon SQS binding of Annals' messaging: a queue sink and an inbox consumer. */
module dev.annals.messaging.sqs {
  requires transitive dev.annals.messaging;
  requires transitive software.amazon.awssdk.services.sqs;
  requires transitive software.amazon.awssdk.core;
  requires com.fasterxml.jackson.databind;
  requires io.cloudevents.core;

  exports dev.annals.messaging.sqs;
}

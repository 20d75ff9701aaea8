package dev.annals.core;

import java.util.Objects;

/**
 * Recorded in the log when a subject is forgotten ({@link Shredder#forget}), in the stream
 * {@code forgotten-<subject>}: the notification projectors receive (registered in every
 * registry as {@value #TYPE}) so that read models erase their copies, and the record of who
 * forgot the subject and why.
 *
 * @param subject the forgotten subject's id
 * @param by who asked for it
 * @param reason why
 */
public record SubjectForgotten(String subject, String by, String reason) {

  /** The type name it is registered under. */
  public static final String TYPE = "annals.SubjectForgotten";

  /** The category of the streams it is recorded in. */
  public static final String CATEGORY = "forgotten";

  public SubjectForgotten {
    PersonalData.checkSubject(subject);
    Objects.requireNonNull(by, "by must not be null");
    Objects.requireNonNull(reason, "reason must not be null");
    if (by.isBlank() || reason.isBlank()) {
      throw new IllegalArgumentException("forgetting subject " + subject + " needs who asks (by) and why (reason)");
    }
  }
}

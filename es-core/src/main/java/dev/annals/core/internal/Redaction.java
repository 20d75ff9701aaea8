package dev.annals.core.internal;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hides credentials in text meant for people: messages, logs, stored errors and HTTP replies.
 * The one place every module redacts URLs and connection strings; stateless and thread-safe.
 *
 * <p>It replaces with {@code ***}:
 * <ul>
 *   <li>the password of a URL's user information: {@code amqp://user:secret@host} reads
 *       {@code amqp://user:***@host}; the user name stays, so a message still says who tried to
 *       connect;</li>
 *   <li>user information without a password as a whole: {@code nats://s3cret-token@host} reads
 *       {@code nats://***@host}, because NATS and others put a bare token there and it cannot be
 *       told from a user name;</li>
 *   <li>the same in text that is not a well-formed URL ({@code amqp:/user:secret@host},
 *       {@code user:secret@[::1}): anything shaped {@code name:value@} loses its value, so a
 *       malformed URL echoed in an error message is never shown raw;</li>
 *   <li>the value of any parameter named like a credential ({@code password=}, {@code pwd=},
 *       {@code sslpassword=}, {@code secret=}, {@code client_secret=}, {@code token=},
 *       {@code access_token=}, {@code apikey=} and the like) after {@code ?}, {@code &},
 *       {@code ;} or white space, quoted or not ({@code password="..."} in a Kafka
 *       {@code sasl.jaas.config}), and JSON members with such names.</li>
 * </ul>
 */
public final class Redaction {

  /** What stands in for a hidden value. */
  public static final String MASK = "***";

  // scheme://userinfo@ where the user information runs to the last '@' of the authority, so a
  // password holding an unencoded '@' is hidden whole.
  private static final Pattern USER_INFO =
      Pattern.compile("(?i)([a-z][a-z0-9+._\\-]*://)((?:[^\\s/?#@]*@)+)");
  // name:value@ anywhere: user information of URLs that are not well formed.
  private static final Pattern LOOSE_USER_INFO =
      Pattern.compile("(?i)([a-z0-9_.~%+\\-]+:)[^\\s@/'\"<>]+@");
  private static final String CREDENTIAL_NAME =
      "[a-z_.\\-]*(?:password|passwd|pwd|secret|token|api[_\\-]?key|access[_\\-]?key|credentials?)";
  // A credential-like parameter, up to the closing quote or the next separator or white space.
  private static final Pattern PARAMETER = Pattern.compile("(?i)((?:^|[^a-z0-9_.\\-])"
      + CREDENTIAL_NAME + "\\s*=\\s*)(\"[^\"]*\"?|'[^']*'?|[^&;\\s,#]*)");
  // "password": "value" in JSON.
  private static final Pattern JSON_MEMBER =
      Pattern.compile("(?i)(\"" + CREDENTIAL_NAME + "\"\\s*:\\s*)\"(?:[^\"\\\\]|\\\\.)*\"");

  private Redaction() {}

  /**
   * {@code text} with every credential it carries replaced by {@link #MASK}; null gives null.
   * Anything that is not a credential passes unchanged. Idempotent.
   */
  public static String redact(String text) {
    if (text == null) {
      return null;
    }
    String s = USER_INFO.matcher(text).replaceAll(Redaction::userInfo);
    s = LOOSE_USER_INFO.matcher(s).replaceAll("$1" + MASK + "@");
    s = PARAMETER.matcher(s).replaceAll(Redaction::parameter);
    return JSON_MEMBER.matcher(s).replaceAll("$1\"" + MASK + "\"");
  }

  /**
   * One line naming the class of {@code e} and its redacted message, for stored errors and
   * replies: {@code java.net.ConnectException: ... amqp://app:***@host}.
   */
  public static String describe(Throwable e) {
    String message = e.getMessage();
    return e.getClass().getName() + (message == null ? "" : ": " + redact(message));
  }

  /**
   * A copy of {@code e} fit for a log record: the same class name, stack trace, causes and
   * suppressed exceptions, with every message redacted. Null gives null. The copy is only for
   * printing; callers keep throwing and catching the original.
   */
  public static Throwable redacted(Throwable e) {
    return copy(e, Collections.newSetFromMap(new IdentityHashMap<>()));
  }

  private static Throwable copy(Throwable e, Set<Throwable> seen) {
    if (e == null || !seen.add(e)) {
      return null;
    }
    Redacted out = new Redacted(describe(e));
    out.setStackTrace(e.getStackTrace());
    Throwable cause = copy(e.getCause(), seen);
    if (cause != null) {
      out.initCause(cause);
    }
    for (Throwable s : e.getSuppressed()) {
      Throwable copied = copy(s, seen);
      if (copied != null) {
        out.addSuppressed(copied);
      }
    }
    return out;
  }

  private static String userInfo(MatchResult m) {
    String info = m.group(2);
    int colon = info.indexOf(':');
    String kept = colon < 0 ? "" : info.substring(0, colon + 1);
    return Matcher.quoteReplacement(m.group(1) + kept + MASK + "@");
  }

  private static String parameter(MatchResult m) {
    String value = m.group(2);
    String quote = value.startsWith("\"") ? "\"" : value.startsWith("'") ? "'" : "";
    return Matcher.quoteReplacement(m.group(1) + quote + MASK + quote);
  }

  /** Stands in for a throwable whose message was redacted; prints as the original would. */
  private static final class Redacted extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Redacted(String line) {
      super(line);
    }

    @Override
    public String toString() {
      return getMessage();
    }
  }
}

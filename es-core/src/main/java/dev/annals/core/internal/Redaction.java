package dev.annals.core.internal;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Locale;
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
 *       connect. The user information runs from {@code ://} to the last {@code @} before white
 *       space, {@code ?}, {@code #} or the next {@code ://}, so a password holding an unencoded
 *       {@code @} or {@code /} (base64: {@code user:abc+d/e==@host}) is hidden whole;</li>
 *   <li>user information without a password as a whole: {@code nats://s3cret-token@host} reads
 *       {@code nats://***@host}, because NATS and others put a bare token there and it cannot be
 *       told from a user name; so does one whose user name holds an {@code @};</li>
 *   <li>the same in text that is not a well-formed URL ({@code amqp:/user:secret@host},
 *       {@code user:secret@[::1}): anything shaped {@code name:value@} loses its value, so a
 *       malformed URL echoed in an error message is never shown raw;</li>
 *   <li>the value of any parameter named like a credential ({@code password}, {@code passwd},
 *       {@code pwd}, {@code passphrase}, {@code secret}, {@code client_secret}, {@code token},
 *       {@code access_token}, {@code credentials}, and names ending in {@code api_key},
 *       {@code access_key}, {@code secret_key} or {@code private_key}, with or without
 *       {@code _}, {@code -} or {@code .} before {@code key}) written {@code name=value} after
 *       {@code ?}, {@code &}, {@code ;} or white space, or {@code name: value} with a space
 *       after the colon (YAML, properties, headers such as {@code X-Api-Key}), quoted or not:
 *       {@code password="a\"b c"} in a Kafka {@code sasl.jaas.config} is hidden to its closing
 *       quote. {@code pass} counts only before {@code =}, so {@code tests pass: 12} stays;</li>
 *   <li>JSON members with such names, whatever their value: a string, number, {@code true},
 *       {@code false} or {@code null} reads {@code "***"};</li>
 *   <li>{@code Authorization} and {@code Proxy-Authorization} headers: the credential after
 *       {@code Basic}, {@code Bearer} or {@code Token}, and with any other scheme everything up
 *       to the end of the line or the closing quote.</li>
 * </ul>
 *
 * <p>Limits, where a URL cannot tell: a password holding an unencoded {@code ?} or {@code #} is
 * only partly hidden; a {@code /} ends the user information unless a {@code :} comes before it
 * (or the scheme is {@code nats} or {@code tls}, whose URLs carry bare tokens), so
 * {@code https://host/path@x} passes unchanged while {@code http://host:8080/path@x} reads
 * {@code http://host:***@x}. Prose is masked where it looks like a credential:
 * {@code wrong password: try again} reads {@code wrong password: *** again}.
 */
public final class Redaction {

  /** What stands in for a hidden value. */
  public static final String MASK = "***";

  // scheme://userinfo@: group 2 runs to the last '@' before white space, '?', '#' or another
  // scheme; userInfo() decides how much of it is user information.
  private static final Pattern USER_INFO = Pattern.compile(
      "(?i)(?<![a-z0-9+._\\-])([a-z][a-z0-9+._\\-]*://)((?:(?!://)[^\\s?#])*)@");
  // Schemes whose user information may be a bare token holding '/'.
  private static final Set<String> TOKEN_SCHEMES = Set.of("nats://", "tls://");
  // name:value@ anywhere: user information of URLs that are not well formed. The value does not
  // start with '/' so "amqp:/user:pw@host" keeps its user, and never spans another "://".
  private static final Pattern LOOSE_USER_INFO =
      Pattern.compile("(?i)([a-z0-9_.~%+\\-]+:)(?!/)(?:(?!://)[^\\s@'\"<>])+@");
  private static final String CREDENTIAL_NAME = "[a-z0-9_.\\-]*(?:password|passwd|passphrase|pwd"
      + "|secret|token|credentials?|(?:api|access|secret|private)[_.\\-]?key)";
  // "pass" only as a whole name or after a separator, and only before '=': "bypass=" and
  // "tests pass: 12" are no credentials.
  private static final String PASS_NAME = "(?:[a-z0-9_.\\-]*[_.\\-])?pass";
  // A quoted value to its closing quote, escaped quotes included; unclosed, to the end.
  private static final String QUOTED = "\"(?:[^\"\\\\]|\\\\.)*\"?|'(?:[^'\\\\]|\\\\.)*'?";
  // A credential-like parameter, up to the closing quote or the next separator or white space.
  private static final Pattern PARAMETER = Pattern.compile("(?i)((?:^|[^a-z0-9_.\\-])"
      + "(?:(?:" + CREDENTIAL_NAME + "|" + PASS_NAME + ")\\s*=\\s*|" + CREDENTIAL_NAME + "\\s*:[ \\t]+))("
      + QUOTED + "|[^&;\\s,#]*)");
  // "password": value in JSON, the value a string (maybe cut short), a number or a literal.
  private static final Pattern JSON_MEMBER = Pattern.compile("(?i)(\"(?:" + CREDENTIAL_NAME + "|"
      + PASS_NAME + ")\"\\s*:\\s*)(?:\"(?:[^\"\\\\]|\\\\.)*\"?|-?[0-9][0-9.e+\\-]*|(?:true|false|null)\\b)");
  // Authorization: Bearer <credential>; with another scheme, the rest of the line or quote.
  private static final Pattern AUTHORIZATION = Pattern.compile(
      "(?i)((?<![a-z0-9_.\\-])(?:proxy-)?authorization[\"']?[ \\t]*[:=][ \\t]*)"
      + "(?:((?:basic|bearer|token)[ \\t]+)[^\\s\"',;)}\\]>]+|(" + QUOTED + ")|[^\\r\\n]+)");

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
    s = AUTHORIZATION.matcher(s).replaceAll(Redaction::authorization);
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
    String scheme = m.group(1);
    String info = m.group(2);
    int slash = info.indexOf('/');
    String head = slash < 0 ? info : info.substring(0, slash);
    if (slash >= 0 && head.indexOf(':') < 0
        && !TOKEN_SCHEMES.contains(scheme.toLowerCase(Locale.ROOT))) {
      // No password can hold this '/': the user information, if any, ends before it.
      int at = head.lastIndexOf('@');
      return Matcher.quoteReplacement(at < 0 ? m.group()
          : scheme + MASK + "@" + info.substring(at + 1) + "@");
    }
    int colon = info.indexOf(':');
    String kept = colon < 0 ? "" : info.substring(0, colon + 1);
    if (kept.indexOf('@') >= 0 || kept.indexOf('/') >= 0) {
      kept = "";
    }
    return Matcher.quoteReplacement(scheme + kept + MASK + "@");
  }

  private static String parameter(MatchResult m) {
    String value = m.group(2);
    String quote = value.startsWith("\"") ? "\"" : value.startsWith("'") ? "'" : "";
    return Matcher.quoteReplacement(m.group(1) + quote + MASK + quote);
  }

  private static String authorization(MatchResult m) {
    String value = m.group(3) == null ? "" : m.group(3);
    String quote = value.startsWith("\"") ? "\"" : value.startsWith("'") ? "'" : "";
    String scheme = m.group(2) == null ? "" : m.group(2);
    return Matcher.quoteReplacement(m.group(1) + scheme + quote + MASK + quote);
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

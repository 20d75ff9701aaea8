package dev.annals.core.internal;

import java.util.regex.Pattern;

/**
 * Hides credentials in text meant for people: messages, logs, stored errors and HTTP replies.
 * The one place every module redacts URLs and connection strings; stateless and thread-safe.
 *
 * <p>It replaces with {@code ***} the password of a URL's user information
 * ({@code amqp://user:secret@host}, {@code jdbc:postgresql://user:secret@host/db}) and the value of
 * any parameter named like a credential ({@code password=}, {@code sslpassword=}, {@code token=},
 * {@code secret=}, {@code apikey=} and the like) whether it follows {@code ?}, {@code &} or
 * {@code ;}. The user name stays, so a message still says who tried to connect.
 */
public final class Redaction {

  /** What stands in for a hidden value. */
  public static final String MASK = "***";

  // The user information of a URL: scheme://user:password@ (the password may hold ':' but not '@').
  private static final Pattern USER_INFO =
      Pattern.compile("(?i)([a-z][a-z0-9+.\\-]*://[^\\s/@:?#]*:)[^\\s@/]*@");
  // A credential-like parameter, up to the next separator or white space.
  private static final Pattern PARAMETER = Pattern.compile(
      "(?i)((?:^|[^a-z0-9_.\\-])[a-z_.\\-]*(?:password|passwd|pwd|secret|token|api[_\\-]?key|access[_\\-]?key|credentials?)=)[^&;\\s,]*");

  private Redaction() {}

  /**
   * {@code text} with every credential it carries replaced by {@link #MASK}; null gives null.
   * Anything that is not a credential passes unchanged, including malformed URLs.
   */
  public static String redact(String text) {
    if (text == null) {
      return null;
    }
    String s = USER_INFO.matcher(text).replaceAll("$1" + MASK + "@");
    return PARAMETER.matcher(s).replaceAll("$1" + MASK);
  }
}

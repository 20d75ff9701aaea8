package dev.annals.console;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A person who may log in to the console.
 *
 * @param name the login name: 1 to 64 letters, digits or {@code . _ @ -}
 * @param role what the user may do
 * @param password the password in Spring Security's {@code {id}encoded} form, e.g.
 *     {@code {bcrypt}$2a$10$...} (or {@code {noop}secret} for tests); never printed
 */
public record ConsoleUser(String name, ConsoleRole role, String password) {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]{1,64}");
  private static final Pattern ENCODED = Pattern.compile("\\{[a-z0-9_-]+}.+");

  /**
   * @throws IllegalArgumentException if the name is not valid or the password has no {@code {id}}
   */
  public ConsoleUser {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(password, "password");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid console user name '" + Checks.shorten(name)
          + "': use 1 to 64 letters, digits or . _ @ -");
    }
    if (!ENCODED.matcher(password).matches()) {
      throw new IllegalArgumentException("the password of console user '" + name
          + "' must be encoded as {id}value, e.g. {bcrypt}$2a$10$... or {noop}secret");
    }
  }

  /**
   * A user from {@code name:role:{id}password}, as given on the command line.
   *
   * @throws IllegalArgumentException naming what is wrong (never the password)
   */
  public static ConsoleUser parse(String spec) {
    Objects.requireNonNull(spec, "spec");
    String[] parts = spec.split(":", 3);
    if (parts.length != 3) {
      throw new IllegalArgumentException("a console user is name:role:{id}password, e.g. "
          + "alice:operator:{bcrypt}$2a$10$...");
    }
    return new ConsoleUser(parts[0], ConsoleRole.parse(parts[1]), parts[2]);
  }

  /** Without the password, so that a user can be printed. */
  @Override
  public String toString() {
    return "ConsoleUser[" + name + ", " + role + "]";
  }
}

package dev.annals.messaging.webhooks;

import dev.annals.core.internal.Redaction;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * Which URLs webhooks may be sent to. A subscriber chooses the URL, so without a check anyone
 * who can subscribe could make the service call its own network (an admin port, a cloud
 * metadata endpoint). Every address falls in one category: public (accepted), loopback (accepted
 * with allowLoopback), private network (accepted with allowPrivateNetworks), or never a target.
 * An IPv6 address that carries an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo, ISATAP) falls
 * in the category of the IPv4 address it carries, since that is where a translator sends it.
 *
 * <p>The check resolves the host when a subscription is made and before every request and
 * redirect hop. The HTTP client resolves it again to connect, through {@link #connectable}, which
 * checks the answer it connects with, so a DNS answer that changes after the check (rebinding)
 * cannot move the request elsewhere.
 */
final class WebhookTargets {

  /** What a target address is, for the check. */
  enum Category {
    PUBLIC(null),
    LOOPBACK("allowLoopback(true)"),
    PRIVATE("allowPrivateNetworks(true)"),
    NEVER(null);

    private final String allowedBy;

    Category(String allowedBy) {
      this.allowedBy = allowedBy;
    }
  }

  /**
   * An address's category and why; {@code embedded} names the IPv4 address an IPv6 address
   * carries ({@code ", which embeds 127.0.0.1 (6to4)"}), else is empty.
   */
  record Verdict(Category category, String reason, String embedded) {}

  /** Resolves a host name to its addresses: the system's resolver, or a given one in tests. */
  @FunctionalInterface
  interface Lookup {
    InetAddress[] all(String host) throws UnknownHostException;
  }

  /**
   * A host whose addresses include one that is not a target; an {@link UnknownHostException}
   * because that is what an HTTP client's resolver may throw.
   */
  static final class RefusedAddress extends UnknownHostException {
    private final String refusal;

    RefusedAddress(String host, String refusal) {
      super(host + " resolves to " + refusal);
      this.refusal = refusal;
    }

    /** The address and why it is refused, as {@link #check} words it after "resolves to". */
    String refusal() {
      return refusal;
    }
  }

  private final boolean allowLoopback;
  private final boolean allowPrivate;
  private final Lookup lookup;

  WebhookTargets(boolean allowLoopback, boolean allowPrivate) {
    this(allowLoopback, allowPrivate, InetAddress::getAllByName);
  }

  WebhookTargets(boolean allowLoopback, boolean allowPrivate, Lookup lookup) {
    this.allowLoopback = allowLoopback;
    this.allowPrivate = allowPrivate;
    this.lookup = lookup;
  }

  /**
   * Checks a URL and returns the addresses its host resolved to, every one of them allowed.
   *
   * @throws IllegalArgumentException naming the URL and why it is refused
   */
  List<InetAddress> check(URI target) {
    // A refused URL may carry user info with a password: messages show it masked.
    String url = Redaction.redact(target.toString());
    String scheme = target.getScheme() == null ? "" : target.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("webhook URL " + url + " must be http or https");
    }
    String authority = target.getRawAuthority();
    if (authority == null || authority.contains("@")) {
      throw new IllegalArgumentException("webhook URL " + url + " must name a host and no user info");
    }
    String host = target.getHost();
    if (host == null) {
      // URI leaves the host out of authorities it cannot read as a host name, such as 127.1 or
      // 127.0.0.1. (with a dot at the end); resolvers and proxies read them as IPv4 addresses.
      host = authority.replaceFirst(":[0-9]*$", "");
    }
    Ipv4Literal literal = host.startsWith("[") ? null : Ipv4Literal.parse(host);
    if (target.getHost() == null && literal == null) {
      throw new IllegalArgumentException("webhook URL " + url + " must name a host and no user info");
    }
    List<InetAddress> addresses = resolve(url, host, literal);
    for (InetAddress a : addresses) {
      String refusal = refusal(a);
      if (refusal != null) {
        throw new IllegalArgumentException("webhook URL " + url + " resolves to " + refusal);
      }
    }
    if (literal != null && !literal.standard()) {
      // Parsers disagree on these (0177.0.0.1 is 127.0.0.1 to curl, 177.0.0.1 to Java), and
      // the HTTP client refuses some of them: whatever they mean, they are not sent.
      throw new IllegalArgumentException("webhook URL " + url + " writes the IPv4 address "
          + addresses.get(0).getHostAddress() + " in a non-standard form that parsers read "
          + "differently; write it as four decimal numbers");
    }
    return addresses;
  }

  /**
   * The addresses to connect to for a host as the HTTP client names it ({@code partner.example},
   * {@code 203.0.113.7}, {@code [2001:db8::7]}): looked up once, every one of them allowed. The
   * client connects to these and to no other, whatever the name resolves to later.
   *
   * @throws RefusedAddress if one of them is not allowed
   * @throws UnknownHostException if the host does not resolve
   */
  List<InetAddress> connectable(String host) throws UnknownHostException {
    String name = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    List<InetAddress> addresses = List.of(lookup.all(name));
    for (InetAddress a : addresses) {
      String refusal = refusal(a);
      if (refusal != null) {
        throw new RefusedAddress(host, refusal);
      }
    }
    return addresses;
  }

  /** The address and why it is not a target ("127.0.0.1: a loopback address; ..."), or null if it is one. */
  private String refusal(InetAddress a) {
    Verdict v = classify(a);
    if (allowed(v.category())) {
      return null;
    }
    return a.getHostAddress() + v.embedded() + ": " + v.reason() + "; " + (v.category().allowedBy == null
        ? "never a webhook target" : "refused unless " + v.category().allowedBy);
  }

  private boolean allowed(Category c) {
    return switch (c) {
      case PUBLIC -> true;
      case LOOPBACK -> allowLoopback;
      case PRIVATE -> allowPrivate;
      case NEVER -> false;
    };
  }

  private List<InetAddress> resolve(String url, String host, Ipv4Literal literal) {
    try {
      if (host.startsWith("[")) {
        // A literal: no lookup. A zone (fe80::1%25eth0) does not change the category.
        String v6 = host.substring(1, host.length() - 1).replaceFirst("%.*$", "");
        return List.of(InetAddress.getByName(v6));
      }
      if (literal != null) {
        return List.of(InetAddress.getByAddress(literal.bytes()));
      }
      return List.of(lookup.all(host));
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("webhook URL " + url + ": host " + host + " does not resolve", e);
    }
  }

  /** The category of an address, by the IPv4 address it carries if it is an IPv6 one that does. */
  static Verdict classify(InetAddress address) {
    byte[] b = address.getAddress();
    return b.length == 4 ? ipv4(b, "") : ipv6(b);
  }

  private static Verdict ipv4(byte[] b, String embedded) {
    int x = ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    if (x == 0) {
      // Connecting to 0.0.0.0 reaches a service listening on this host.
      return new Verdict(Category.LOOPBACK, "the unspecified address, which reaches this host", embedded);
    }
    if (x == 0xffffffff) {
      return new Verdict(Category.NEVER, "the broadcast address", embedded);
    }
    String reason = null;
    Category category = Category.NEVER;
    if (in(x, 0x7f000000, 8)) {
      category = Category.LOOPBACK;
      reason = "a loopback address";
    } else if (in(x, 0x0a000000, 8) || in(x, 0xac100000, 12) || in(x, 0xc0a80000, 16)) {
      category = Category.PRIVATE;
      reason = "a private-network address";
    } else if (in(x, 0xa9fe0000, 16)) {
      category = Category.PRIVATE;
      reason = "a link-local address (where cloud metadata services answer)";
    } else if (in(x, 0x64400000, 10)) {
      category = Category.PRIVATE;
      reason = "a shared (carrier-grade NAT) address";
    } else if (in(x, 0x00000000, 8)) {
      reason = "a 'this network' address (0.0.0.0/8)";
    } else if (in(x, 0xe0000000, 4)) {
      reason = "a multicast address";
    } else if (in(x, 0xf0000000, 4)) {
      reason = "a reserved address (240.0.0.0/4)";
    } else if (in(x, 0xc6120000, 15)) {
      reason = "a benchmarking address (198.18.0.0/15)";
    } else if (in(x, 0xc0000200, 24) || in(x, 0xc6336400, 24) || in(x, 0xcb007100, 24)) {
      reason = "a documentation address";
    } else if (in(x, 0xc0000000, 24)) {
      reason = "an IETF protocol address (192.0.0.0/24)";
    } else if (in(x, 0xc0586300, 24)) {
      reason = "a 6to4 relay address (192.88.99.0/24)";
    } else {
      category = Category.PUBLIC;
      reason = "a public address";
    }
    return new Verdict(category, reason, embedded);
  }

  private static Verdict ipv6(byte[] b) {
    if (prefix(b, 0, 12)) {
      // ::/96: the unspecified address, ::1, and the IPv4-compatible ::a.b.c.d.
      if (prefix(b, 0, 15) && b[15] == 0) {
        return new Verdict(Category.LOOPBACK, "the unspecified address, which reaches this host", "");
      }
      if (prefix(b, 0, 15) && b[15] == 1) {
        return new Verdict(Category.LOOPBACK, "a loopback address", "");
      }
      return embedded(b, 12, "IPv4-compatible");
    }
    if (prefix(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
      return embedded(b, 12, "IPv4-mapped");
    }
    if (prefix(b, 0, 8) && (b[8] & 0xff) == 0xff && (b[9] & 0xff) == 0xff && b[10] == 0 && b[11] == 0) {
      return embedded(b, 12, "IPv4-translated");
    }
    int w0 = word(b, 0);
    int w1 = word(b, 2);
    if (w0 == 0x64 && w1 == 0xff9b && prefix(b, 4, 8)) {
      return embedded(b, 12, "NAT64");
    }
    if (w0 == 0x64 && w1 == 0xff9b && word(b, 4) == 1) {
      // Local-use NAT64: behind it is the operator's own network, whatever address it carries.
      Verdict v = embedded(b, 12, "local-use NAT64");
      return v.category() == Category.PUBLIC
          ? new Verdict(Category.PRIVATE, "a local-use NAT64 address (64:ff9b:1::/48)", "") : v;
    }
    if (w0 == 0x2002) {
      return embedded(b, 2, "6to4");
    }
    if (w0 == 0x2001 && w1 == 0) {
      byte[] client = new byte[4];
      for (int i = 0; i < 4; i++) {
        client[i] = (byte) ~b[12 + i];
      }
      return ipv4(client, ", which embeds " + dotted(client) + " (Teredo)");
    }
    if ((b[8] & 0xfd) == 0 && b[9] == 0 && (b[10] & 0xff) == 0x5e && (b[11] & 0xff) == 0xfe) {
      // ISATAP (interface id [02]00:5efe:a.b.c.d): the tunnel ends at that IPv4 address inside the
      // site, so a non-public one is judged as itself; a public one leaves the prefix to decide.
      Verdict v = embedded(b, 12, "ISATAP");
      if (v.category() != Category.PUBLIC) {
        return v;
      }
    }
    if ((b[0] & 0xff) == 0xff) {
      return new Verdict(Category.NEVER, "a multicast address", "");
    }
    if ((b[0] & 0xff) == 0xfe && (b[1] & 0xc0) == 0x80) {
      return new Verdict(Category.PRIVATE, "a link-local address", "");
    }
    if ((b[0] & 0xff) == 0xfe && (b[1] & 0xc0) == 0xc0) {
      return new Verdict(Category.PRIVATE, "a site-local address", "");
    }
    if ((b[0] & 0xfe) == 0xfc) {
      return new Verdict(Category.PRIVATE, "a unique-local address", "");
    }
    if ((w0 == 0x2001 && w1 == 0x0db8) || (w0 == 0x3fff && (w1 & 0xf000) == 0)) {
      return new Verdict(Category.NEVER, "a documentation address", "");
    }
    if (w0 == 0x2001 && w1 == 0x0002 && word(b, 4) == 0) {
      return new Verdict(Category.NEVER, "a benchmarking address (2001:2::/48)", "");
    }
    if (w0 == 0x0100 && prefix(b, 2, 8)) {
      return new Verdict(Category.NEVER, "a discard-only address (100::/64)", "");
    }
    return new Verdict(Category.PUBLIC, "a public address", "");
  }

  private static Verdict embedded(byte[] b, int from, String how) {
    byte[] v4 = {b[from], b[from + 1], b[from + 2], b[from + 3]};
    return ipv4(v4, ", which embeds " + dotted(v4) + " (" + how + ")");
  }

  private static boolean in(int address, int network, int bits) {
    return (address ^ network) >>> (32 - bits) == 0;
  }

  /** Whether bytes {@code from} (inclusive) to {@code to} (exclusive) are all zero. */
  private static boolean prefix(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static int word(byte[] b, int at) {
    return ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
  }

  private static String dotted(byte[] v4) {
    return (v4[0] & 0xff) + "." + (v4[1] & 0xff) + "." + (v4[2] & 0xff) + "." + (v4[3] & 0xff);
  }

  /**
   * A host written as an IPv4 address the way {@code inet_aton}, curl and browsers read it: one
   * to four parts, each decimal, octal (leading 0) or hex (0x), the last filling the remaining
   * bytes, and an optional dot at the end. Standard means four decimal parts without leading zeros.
   */
  record Ipv4Literal(byte[] bytes, boolean standard) {

    /** The address, or null if {@code host} is not written as an IPv4 address. */
    static Ipv4Literal parse(String host) {
      String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
      if (h.isEmpty() || h.startsWith(".") || h.contains("..")) {
        return null;
      }
      String[] parts = h.split("\\.");
      if (parts.length > 4) {
        return null;
      }
      long[] values = new long[parts.length];
      boolean standard = parts.length == 4 && h.equals(host);
      for (int i = 0; i < parts.length; i++) {
        String p = parts[i].toLowerCase(Locale.ROOT);
        boolean hex = p.startsWith("0x");
        boolean octal = !hex && p.length() > 1 && p.startsWith("0");
        int radix = hex ? 16 : octal ? 8 : 10;
        String digits = hex ? p.substring(2) : octal ? p.substring(1) : p;
        standard &= radix == 10;
        if (digits.isEmpty()) {
          values[i] = 0; // "0x" alone is 0 to these parsers
          continue;
        }
        // ASCII only: Character.digit and Long.parseLong also read other scripts' digits.
        if (digits.length() > 12 || !digits.chars().allMatch(c -> c < 128 && Character.digit(c, radix) >= 0)) {
          return null;
        }
        values[i] = Long.parseLong(digits, radix);
      }
      long address = 0;
      for (int i = 0; i < values.length - 1; i++) {
        if (values[i] > 0xff) {
          return null;
        }
        address |= values[i] << (24 - 8 * i);
      }
      long last = values[values.length - 1];
      if (last >= 1L << (8 * (5 - values.length))) {
        return null;
      }
      address |= last;
      byte[] bytes = {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
      return new Ipv4Literal(bytes, standard);
    }
  }
}

package dev.annals.messaging.webhooks;

import dev.annals.core.internal.Redaction;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Which URLs webhooks may be sent to. A subscriber chooses the URL, so without a check anyone
 * who can subscribe could make the service call its own network (an admin port, a cloud
 * metadata endpoint): loopback, private, link-local, carrier-grade NAT, unique-local and
 * multicast addresses are refused unless the application allows them.
 *
 * <p>The check resolves the host when a subscription is made and before every request. The HTTP
 * client resolves it again to connect, so a DNS answer that changes in between (rebinding) is not
 * caught here; put the service behind an egress proxy if subscribers are untrusted.
 */
final class WebhookTargets {

  private final boolean allowLoopback;
  private final boolean allowPrivate;

  WebhookTargets(boolean allowLoopback, boolean allowPrivate) {
    this.allowLoopback = allowLoopback;
    this.allowPrivate = allowPrivate;
  }

  /**
   * @throws IllegalArgumentException naming the URL and why it is refused
   */
  void check(URI target) {
    // A refused URL may carry user info with a password: messages show it masked.
    String url = Redaction.redact(target.toString());
    String scheme = target.getScheme() == null ? "" : target.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("webhook URL " + url + " must be http or https");
    }
    if (target.getHost() == null || target.getRawUserInfo() != null) {
      throw new IllegalArgumentException("webhook URL " + url + " must name a host and no user info");
    }
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(target.getHost());
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("webhook URL " + url + ": host " + target.getHost()
          + " does not resolve", e);
    }
    for (InetAddress a : addresses) {
      if (a.isLoopbackAddress()) {
        if (!allowLoopback) {
          throw new IllegalArgumentException("webhook URL " + url + " resolves to the loopback address "
              + a.getHostAddress() + "; refused unless allowLoopback(true)");
        }
      } else if (isPrivate(a) && !allowPrivate) {
        throw new IllegalArgumentException("webhook URL " + url + " resolves to the private-network "
            + "address " + a.getHostAddress() + "; refused unless allowPrivateNetworks(true)");
      }
    }
  }

  private static boolean isPrivate(InetAddress a) {
    if (a.isAnyLocalAddress() || a.isSiteLocalAddress() || a.isLinkLocalAddress()
        || a.isMulticastAddress()) {
      return true;
    }
    byte[] b = a.getAddress();
    if (a instanceof Inet6Address) {
      return (b[0] & 0xfe) == 0xfc; // fc00::/7, unique local
    }
    int first = b[0] & 0xff;
    int second = b[1] & 0xff;
    return first == 0 || (first == 100 && second >= 64 && second <= 127); // 0/8, 100.64/10
  }
}

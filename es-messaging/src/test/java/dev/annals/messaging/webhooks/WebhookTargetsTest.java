package dev.annals.messaging.webhooks;

import static dev.annals.messaging.webhooks.WebhookTargets.Category.LOOPBACK;
import static dev.annals.messaging.webhooks.WebhookTargets.Category.NEVER;
import static dev.annals.messaging.webhooks.WebhookTargets.Category.PRIVATE;
import static dev.annals.messaging.webhooks.WebhookTargets.Category.PUBLIC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.messaging.webhooks.WebhookTargets.Category;
import java.net.InetAddress;
import java.net.URI;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Which webhook URLs are accepted and why the others are refused, from literals (no DNS). */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class WebhookTargetsTest {

  final WebhookTargets targets = new WebhookTargets(false, false);

  /**
   * A URL, the category of the address it names, that address as the message shows it, what
   * the message says of it, and whether the host is written as an address the standard way.
   */
  record Row(String url, Category category, String address, String why, boolean standard) {
    @Override
    public String toString() {
      return url;
    }
  }

  static Row row(String url, Category category, String address, String why) {
    return new Row(url, category, address, why, true);
  }

  static Row odd(String url, Category category, String address, String why) {
    return new Row(url, category, address, why, false);
  }

  static final String UNSPECIFIED = ": the unspecified address, which reaches this host";
  static final String LOOP = ": a loopback address";
  static final String PRIV = ": a private-network address";

  static final List<Row> ROWS = List.of(
      // The addresses of the issue.
      row("http://0.0.0.0:8080/", LOOPBACK, "0.0.0.0", UNSPECIFIED),
      row("http://[::]:8080/", LOOPBACK, "0:0:0:0:0:0:0:0", UNSPECIFIED),
      row("http://[::127.0.0.1]/", LOOPBACK, "0:0:0:0:0:0:7f00:1",
          ", which embeds 127.0.0.1 (IPv4-compatible)" + LOOP),
      row("http://[64:ff9b::7f00:1]/", LOOPBACK, "64:ff9b:0:0:0:0:7f00:1", ", which embeds 127.0.0.1 (NAT64)" + LOOP),
      row("http://[2002:7f00:1::]/", LOOPBACK, "2002:7f00:1:0:0:0:0:0", ", which embeds 127.0.0.1 (6to4)" + LOOP),
      row("http://255.255.255.255/", NEVER, "255.255.255.255", ": the broadcast address"),
      row("http://198.18.0.1/", NEVER, "198.18.0.1", ": a benchmarking address (198.18.0.0/15)"),
      odd("http://127.1/", LOOPBACK, "127.0.0.1", LOOP),
      // Other ways of writing an IPv4 address.
      odd("http://0x7f.1/", LOOPBACK, "127.0.0.1", LOOP),
      odd("http://2130706433/", LOOPBACK, "127.0.0.1", LOOP),
      odd("http://017700000001/", LOOPBACK, "127.0.0.1", LOOP),
      odd("http://0177.0.0.1/", LOOPBACK, "127.0.0.1", LOOP),
      odd("http://0x7f000001:8080/", LOOPBACK, "127.0.0.1", LOOP),
      odd("http://127.0.0.1./", LOOPBACK, "127.0.0.1", LOOP),
      odd("http://012.0.0.1/", PRIVATE, "10.0.0.1", PRIV),
      odd("http://134744072/", PUBLIC, "8.8.8.8", ""),
      odd("http://8.8.2056/", PUBLIC, "8.8.8.8", ""),
      // IPv6 addresses carrying an IPv4 address.
      row("http://[::ffff:127.0.0.1]/", LOOPBACK, "127.0.0.1", LOOP),
      row("http://[::ffff:0:7f00:1]/", LOOPBACK, "0:0:0:0:ffff:0:7f00:1",
          ", which embeds 127.0.0.1 (IPv4-translated)" + LOOP),
      row("https://[::ffff:a9fe:a9fe]:8443/", PRIVATE, "169.254.169.254",
          ": a link-local address (where cloud metadata services answer)"),
      row("http://[64:ff9b::a00:1]/", PRIVATE, "64:ff9b:0:0:0:0:a00:1", ", which embeds 10.0.0.1 (NAT64)" + PRIV),
      row("http://[64:ff9b::808:808]/", PUBLIC, "64:ff9b:0:0:0:0:808:808", ""),
      row("http://[64:ff9b:1::7f00:1]/", LOOPBACK, "64:ff9b:1:0:0:0:7f00:1",
          ", which embeds 127.0.0.1 (local-use NAT64)" + LOOP),
      row("http://[64:ff9b:1::808:808]/", PRIVATE, "64:ff9b:1:0:0:0:808:808",
          ": a local-use NAT64 address (64:ff9b:1::/48)"),
      row("http://[2002:a9fe:a9fe::]/", PRIVATE, "2002:a9fe:a9fe:0:0:0:0:0",
          ", which embeds 169.254.169.254 (6to4): a link-local address (where cloud metadata services answer)"),
      row("http://[2002:808:808::]/", PUBLIC, "2002:808:808:0:0:0:0:0", ""),
      row("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", LOOPBACK, "2001:0:4136:e378:8000:63bf:80ff:fffe",
          ", which embeds 127.0.0.1 (Teredo)" + LOOP),
      row("http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/", PRIVATE, "2001:0:4136:e378:8000:63bf:f5ff:fffe",
          ", which embeds 10.0.0.1 (Teredo)" + PRIV),
      row("http://[2001:db9::5efe:7f00:1]/", LOOPBACK, "2001:db9:0:0:0:5efe:7f00:1",
          ", which embeds 127.0.0.1 (ISATAP)" + LOOP),
      row("http://[2001:db9::200:5efe:a9fe:a9fe]/", PRIVATE, "2001:db9:0:0:200:5efe:a9fe:a9fe",
          ", which embeds 169.254.169.254 (ISATAP): a link-local address (where cloud metadata services answer)"),
      row("http://[2001:db9::5efe:808:808]/", PUBLIC, "2001:db9:0:0:0:5efe:808:808", ""),
      // Plain categories.
      row("http://127.0.0.1:9000/", LOOPBACK, "127.0.0.1", LOOP),
      row("http://127.255.255.254/", LOOPBACK, "127.255.255.254", LOOP),
      row("http://[::1]/", LOOPBACK, "0:0:0:0:0:0:0:1", LOOP),
      row("http://10.1.2.3/", PRIVATE, "10.1.2.3", PRIV),
      row("http://172.16.0.1/", PRIVATE, "172.16.0.1", PRIV),
      row("http://172.31.255.255/", PRIVATE, "172.31.255.255", PRIV),
      row("http://192.168.1.1/", PRIVATE, "192.168.1.1", PRIV),
      row("http://169.254.169.254/latest", PRIVATE, "169.254.169.254",
          ": a link-local address (where cloud metadata services answer)"),
      row("http://100.64.0.1/", PRIVATE, "100.64.0.1", ": a shared (carrier-grade NAT) address"),
      row("http://[fe80::1]/", PRIVATE, "fe80:0:0:0:0:0:0:1", ": a link-local address"),
      row("http://[fe80::1%25eth0]/", PRIVATE, "fe80:0:0:0:0:0:0:1", ": a link-local address"),
      row("http://[fec0::1]/", PRIVATE, "fec0:0:0:0:0:0:0:1", ": a site-local address"),
      row("http://[fd00::2]/", PRIVATE, "fd00:0:0:0:0:0:0:2", ": a unique-local address"),
      row("http://224.0.0.1/", NEVER, "224.0.0.1", ": a multicast address"),
      row("http://239.255.255.250/", NEVER, "239.255.255.250", ": a multicast address"),
      row("http://[ff02::1]/", NEVER, "ff02:0:0:0:0:0:0:1", ": a multicast address"),
      row("http://240.0.0.1/", NEVER, "240.0.0.1", ": a reserved address (240.0.0.0/4)"),
      row("http://0.1.2.3/", NEVER, "0.1.2.3", ": a 'this network' address (0.0.0.0/8)"),
      row("http://198.19.255.255/", NEVER, "198.19.255.255", ": a benchmarking address (198.18.0.0/15)"),
      row("http://[2001:2::1]/", NEVER, "2001:2:0:0:0:0:0:1", ": a benchmarking address (2001:2::/48)"),
      row("http://192.0.2.1/", NEVER, "192.0.2.1", ": a documentation address"),
      row("http://203.0.113.9/", NEVER, "203.0.113.9", ": a documentation address"),
      row("http://198.51.100.7/", NEVER, "198.51.100.7", ": a documentation address"),
      row("http://[2001:db8::1]/", NEVER, "2001:db8:0:0:0:0:0:1", ": a documentation address"),
      row("http://[3fff:fff::1]/", NEVER, "3fff:fff:0:0:0:0:0:1", ": a documentation address"),
      row("http://192.88.99.1/", NEVER, "192.88.99.1", ": a 6to4 relay address (192.88.99.0/24)"),
      row("http://192.0.0.170/", NEVER, "192.0.0.170", ": an IETF protocol address (192.0.0.0/24)"),
      row("http://[100::1]/", NEVER, "100:0:0:0:0:0:0:1", ": a discard-only address (100::/64)"),
      // Just outside the ranges above.
      row("http://172.32.0.1/", PUBLIC, "172.32.0.1", ""),
      row("http://100.128.0.1/", PUBLIC, "100.128.0.1", ""),
      row("http://198.20.0.1/", PUBLIC, "198.20.0.1", ""),
      row("https://93.184.215.14/hooks", PUBLIC, "93.184.215.14", ""),
      row("https://[2606:4700:4700::1111]/hooks", PUBLIC, "2606:4700:4700:0:0:0:0:1111", ""));

  static Stream<Arguments> rowsUnderEverySetting() {
    return ROWS.stream().flatMap(r -> Stream.of(
        Arguments.of(r, false, false), Arguments.of(r, true, false),
        Arguments.of(r, false, true), Arguments.of(r, true, true)));
  }

  @ParameterizedTest(name = "{0} with allowLoopback={1}, allowPrivateNetworks={2}")
  @MethodSource("rowsUnderEverySetting")
  void each_address_is_accepted_or_refused_by_its_category(Row row, boolean loopback, boolean privateNetworks)
      throws Exception {
    WebhookTargets targets = new WebhookTargets(loopback, privateNetworks);
    boolean allowedCategory = switch (row.category()) {
      case PUBLIC -> true;
      case LOOPBACK -> loopback;
      case PRIVATE -> privateNetworks;
      case NEVER -> false;
    };
    URI url = URI.create(row.url());
    if (!allowedCategory) {
      String remedy = switch (row.category()) {
        case LOOPBACK -> "refused unless allowLoopback(true)";
        case PRIVATE -> "refused unless allowPrivateNetworks(true)";
        default -> "never a webhook target";
      };
      assertThatThrownBy(() -> targets.check(url))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("webhook URL " + row.url() + " resolves to " + row.address() + row.why() + "; " + remedy);
    } else if (!row.standard()) {
      assertThatThrownBy(() -> targets.check(url))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("webhook URL " + row.url() + " writes the IPv4 address " + row.address()
              + " in a non-standard form that parsers read differently; write it as four decimal numbers");
    } else {
      assertThat(targets.check(url)).as("the addresses to connect to")
          .extracting(InetAddress::getHostAddress).containsExactly(row.address());
    }
  }

  @Test
  void a_host_name_is_resolved_and_judged_by_its_addresses() {
    assertThatThrownBy(() -> targets.check(URI.create("http://localhost:8080/hooks")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("webhook URL http://localhost:8080/hooks resolves to ")
        .hasMessageEndingWith("refused unless allowLoopback(true)");
    assertThat(new WebhookTargets(true, false).check(URI.create("http://localhost:8080/hooks")))
        .isNotEmpty().allMatch(InetAddress::isLoopbackAddress);
  }

  @Test
  void a_url_with_user_info_is_refused_and_named_without_its_password() {
    assertThatThrownBy(() -> targets.check(URI.create("https://alice:s3cret-pw@partner.example/hooks")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("webhook URL https://alice:***@partner.example/hooks must name a host and no user info");
  }

  @Test
  void user_info_before_a_short_ipv4_form_is_refused_too() {
    assertThatThrownBy(() -> new WebhookTargets(true, true).check(URI.create("http://alice:pw@127.1/")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("webhook URL http://alice:***@127.1/ must name a host and no user info");
  }

  @Test
  void a_url_without_a_readable_host_is_refused() {
    assertThatThrownBy(() -> targets.check(URI.create("http://under_score.example/hooks")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("webhook URL http://under_score.example/hooks must name a host and no user info");
  }

  @Test
  void digits_of_other_scripts_are_not_read_as_an_ipv4_address() {
    assertThat(WebhookTargets.Ipv4Literal.parse("\uff11\uff12\uff17.0.0.1")).isNull();
    assertThat(WebhookTargets.Ipv4Literal.parse("127.0.0.1")).isNotNull();
  }

  @Test
  void a_url_of_another_scheme_is_refused() {
    assertThatThrownBy(() -> targets.check(URI.create("ftp://partner.example/hooks")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("webhook URL ftp://partner.example/hooks must be http or https");
  }
}

package dev.annals.messaging.webhooks;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/** Refused webhook URLs, without resolving anything. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class WebhookTargetsTest {

  final WebhookTargets targets = new WebhookTargets(false, false);

  @Test
  void a_url_with_user_info_is_refused_and_named_without_its_password() {
    assertThatThrownBy(() -> targets.check(URI.create("https://alice:s3cret-pw@partner.example/hooks")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("webhook URL https://alice:***@partner.example/hooks must name a host and no user info");
  }

  @Test
  void a_url_of_another_scheme_is_refused() {
    assertThatThrownBy(() -> targets.check(URI.create("ftp://partner.example/hooks")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("webhook URL ftp://partner.example/hooks must be http or https");
  }
}

package dev.annals.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.annals.core.EventRegistry;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console's page in headless Chromium (Debian's {@code chromium} and {@code chromium-driver};
 * nothing is downloaded), over the test shop: an operator logs in, watches a projector catch
 * up, retries a dead letter, replays a projector, travels back in a stream; a viewer is refused.
 * Writes a screenshot of each view to {@code target/console-screenshots/} (docs/console/ holds
 * copies). Skipped where the browser is missing, unless on CI (see {@link Browser}).
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ConsolePageIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  /** Held so that its level stays set: Selenium warns it has no DevTools for this Chromium. */
  private static final Logger DEVTOOLS_LOG = Logger.getLogger("org.openqa.selenium.devtools");
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final Path SCREENSHOTS = Path.of("target", "console-screenshots");

  private static Shop shop;
  private static ConsoleServer console;

  private ChromeDriver browser;
  private WebDriverWait wait;
  private Path profile;

  @BeforeAll
  static void start() {
    DEVTOOLS_LOG.setLevel(Level.SEVERE);
    shop = new Shop(db);
    shop.runner.start();
    shop.open("a-1", "alice");
    shop.deposit("a-1", 1000);
    shop.open("a-2", "bob");
    console = shop.console();
  }

  @AfterAll
  static void stop() {
    if (console != null) {
      console.close();
    }
    if (shop != null) {
      shop.close();
    }
  }

  @BeforeEach
  void openBrowser() throws IOException {
    Optional<String> skip = Browser.skipReason(System.getenv(), Files::isExecutable);
    assumeTrue(skip.isEmpty(), () -> skip.orElseThrow());
    profile = Files.createTempDirectory("console-chromium");
    System.setProperty("webdriver.chrome.driver", Browser.CHROMEDRIVER.toString());
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(Browser.CHROMEDRIVER.toFile()).usingAnyFreePort().build();
    ChromeOptions options = new ChromeOptions()
        .setBinary(Browser.CHROMIUM.toFile())
        .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile);
    browser = new ChromeDriver(service, options);
    browser.manage().window().setSize(new Dimension(1500, 900));
    // The projectors' table is drawn anew on each live update, so an element found may go stale.
    wait = new WebDriverWait(browser, PATIENCE);
    wait.ignoring(StaleElementReferenceException.class);
  }

  @AfterEach
  void closeBrowser() throws IOException {
    if (browser != null) {
      browser.quit();
    }
    if (profile != null) {
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private void logIn(String user, String password) {
    logIn(console, user, password);
  }

  private void logIn(ConsoleServer server, String user, String password) {
    browser.get(server.uri().toString());
    wait.until(ExpectedConditions.presenceOfElementLocated(By.id("username")));
    browser.findElement(By.id("username")).sendKeys(user);
    browser.findElement(By.id("password")).sendKeys(password, Keys.ENTER);
    wait.until(ExpectedConditions.textToBe(By.id("feed-status"), "live"));
  }

  private static By row(String projector) {
    return By.cssSelector("#projectors tr[data-projector='" + projector + "']");
  }

  private long lag(String projector) {
    String text = browser.findElement(row(projector)).findElement(By.className("lag")).getText();
    return Long.parseLong(text.replace(",", ""));
  }

  /** Clicks a button of a projector's row, finding the row again if it was redrawn meanwhile. */
  private void clickIn(String projector, String button) {
    wait.until(d -> {
      d.findElement(row(projector)).findElement(By.className(button)).click();
      return true;
    });
  }

  private void confirm(String reason, String expectedText) {
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm")));
    assertThat(browser.findElement(By.id("confirm-text")).getText()).contains(expectedText);
    browser.findElement(By.id("confirm-reason")).sendKeys(reason);
    browser.findElement(By.id("confirm-ok")).click();
  }

  private void screenshot(String name) throws IOException {
    Files.createDirectories(SCREENSHOTS);
    Path shot = browser.getScreenshotAs(OutputType.FILE).toPath();
    Files.copy(shot, SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  void an_operator_sees_a_projector_catch_up_retries_a_dead_letter_replays_and_travels_in_time() throws Exception {
    shop.runner.pause("balances");
    for (int i = 0; i < 30; i++) {
      shop.deposit("a-2", 10);
    }
    logIn("olga", Shop.OPERATOR_PASSWORD);

    // Lag: paused, the projector falls behind; resumed from the page, its lag falls to zero.
    wait.until(d -> lag("balances") >= 30);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(row("balances"), "PAUSED"));
    screenshot("projectors");
    clickIn("balances", "resume");
    confirm("caught up after maintenance", "resume balances on every node");
    wait.until(d -> lag("balances") == 0);
    assertThat(shop.balance("a-2")).isEqualTo(300);

    // Dead letters: a parcel the projector cannot route is parked; once routed, a retry clears it.
    shop.poisoned.add("atlantis");
    shop.send("p-1", "atlantis");
    browser.findElement(By.id("tab-dead-letters")).click();
    By letters = By.cssSelector("#dead-letters tbody tr");
    wait.until(d -> {
      String loads = d.findElement(By.id("dead-letters")).getDomAttribute("data-loads");
      d.findElement(By.id("dl-filter")).click();
      new WebDriverWait(d, PATIENCE).until(ExpectedConditions.not(
          ExpectedConditions.attributeToBe(By.id("dead-letters"), "data-loads", String.valueOf(loads))));
      return d.findElements(letters).size() == 1;
    });
    assertThat(browser.findElement(letters).getText()).contains("no route to atlantis", "parcel-p-1");
    screenshot("dead-letters");
    shop.poisoned.remove("atlantis");
    browser.findElement(letters).findElement(By.className("retry")).click();
    confirm("route added", "retry dead letter");
    wait.until(ExpectedConditions.numberOfElementsToBe(letters, 0));

    // Replay: the read model is spoilt; a replay from the first event, confirmed, rebuilds it.
    shop.store.withHandle("spoil the read model", h -> h.execute("UPDATE " + shop.store.schema()
        + ".balances_v1 SET cents = -1"));
    browser.findElement(By.id("tab-projectors")).click();
    new Select(browser.findElement(By.id("replay-projector"))).selectByValue("balances");
    browser.findElement(By.id("replay-position")).sendKeys("1");
    browser.findElement(By.id("replay-plan")).click();
    confirm("rebuild after a bad deploy", "replay balances v1 from position 1:");
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "done: replay balances"));
    wait.until(d -> shop.balance("a-1") == 1000 && shop.balance("a-2") == 300);

    // Versions: ledger v2 replaced v1 by itself; v1's table, named in the confirmation, is dropped.
    String schema = shop.store.schema();
    By retired = By.cssSelector("#versions tr[data-projector='ledger'][data-version='1']");
    wait.until(ExpectedConditions.textToBePresentInElementLocated(retired, "retired"));
    assertThat(browser.findElement(By.cssSelector("#versions tr[data-projector='ledger'][data-version='2']"))
        .getText()).contains("active");
    wait.until(d -> {
      d.findElement(retired).findElement(By.className("drop-tables")).click();
      return true;
    });
    confirm("v2 serves well", "drop the tables of ledger v1: " + schema + ".ledger_v1");
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "done: drop the tables of ledger v1"));
    assertThat(shop.exists(schema + ".ledger_v1")).as("ledger_v1 after the drop").isFalse();
    assertThat(shop.exists(schema + ".ledger_v2")).as("the active version's table").isTrue();
    wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector(
        "#versions tr[data-projector='ledger'][data-version='1'] .drop-tables"), 0));

    // Time travel: the account as it was after its first event.
    browser.findElement(By.id("tab-streams")).click();
    browser.findElement(By.id("log-position")).sendKeys("2");
    browser.findElement(By.id("log-show")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("log-events"), "account.Deposited"));
    assertThat(browser.findElement(By.id("log-events")).getText()).contains("account-a-1", "account.Opened");
    browser.findElement(By.id("stream-query")).sendKeys("account-a-1");
    browser.findElement(By.id("stream-find")).click();
    wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("#stream-results li[data-stream='account-a-1'] button")))
        .click();
    wait.until(ExpectedConditions.attributeToBe(By.id("as-of-state"), "data-version", "2"));
    assertThat(browser.findElement(By.id("as-of-state")).getText()).contains("\"cents\": 1000");
    WebElement slider = browser.findElement(By.id("as-of"));
    slider.sendKeys(Keys.ARROW_LEFT);
    wait.until(ExpectedConditions.attributeToBe(By.id("as-of-state"), "data-version", "1"));
    assertThat(browser.findElement(By.id("as-of-state")).getText()).contains("\"cents\": 0", "alice");
    assertThat(browser.findElement(By.id("as-of-label")).getText()).startsWith("v1 · account.Opened");
    browser.findElement(By.id("stream-verify")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("stream-integrity"), "intact: 2 events"));
    screenshot("streams");

    // Webhooks: a subscriber that refuses connections is parked, with the parcel waiting for it.
    shop.webhooks.subscribe(java.net.URI.create("http://127.0.0.1:1/hooks"), java.util.Set.of("parcel.Sent"),
        "whsec-page-test-secret-0123456789");
    shop.webhooks.start();
    shop.send("p-2", "harbour");
    browser.findElement(By.id("tab-webhooks")).click();
    wait.until(d -> {
      d.findElement(By.id("tab-webhooks")).click();
      return d.findElement(By.id("webhooks")).getText().contains("PARKED");
    });
    screenshot("webhooks");

    // Integrity of the whole log, then the console's own record of what was done.
    browser.findElement(By.id("tab-integrity")).click();
    browser.findElement(By.id("verify-all")).click();
    confirm("weekly check", "verify the hash chains");
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("verify-result"), "intact"));
    assertThat(browser.findElement(By.id("verify-anchor")).getText()).contains("digest");
    screenshot("integrity");

    browser.findElement(By.id("tab-audit")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("audit"), "rebuild after a bad deploy"));
    assertThat(browser.findElement(By.id("audit")).getText()).contains("olga", "resume", "retry", "replay", "verify");
    screenshot("audit");

    assertThat(browser.manage().logs().get(LogType.BROWSER).getAll()).as("errors in the page's console")
        .noneMatch(entry -> entry.getLevel().intValue() >= Level.SEVERE.intValue());
  }

  @Test
  void a_viewer_is_refused_an_action_and_nothing_changes() {
    logIn("vic", Shop.VIEWER_PASSWORD);
    wait.until(ExpectedConditions.presenceOfElementLocated(row("balances")));
    wait.until(ExpectedConditions.textToBe(By.id("who"), "vic (viewer)"));
    clickIn("balances", "pause");
    confirm("just looking", "pause balances");
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "refused: 403"));
    assertThat(shop.runner.status("balances").get(0).health().state().name()).isNotEqualTo("PAUSED");
  }

  @Test
  void standalone_the_projectors_and_versions_show_without_actions() {
    ConsoleMain.Options options = ConsoleMain.Options.parse(new String[] {"--url=" + db.jdbcUrl(),
        "--schema=" + db.schema(), "--port=0", "--user=ann:operator:{noop}ann-pass"}, Map.of());
    try (PostgresEventStore store = PostgresEventStore.builder(EventRegistry.builder().build())
            .jdbcUrl(options.url()).schema(options.schema()).poolSize(2).installSchema(false).build();
        ConsoleServer standalone = ConsoleMain.start(options, store,
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))) {
      logIn(standalone, "ann", "ann-pass");
      wait.until(ExpectedConditions.presenceOfElementLocated(row("balances")));
      wait.until(ExpectedConditions.textToBePresentInElementLocated(
          By.cssSelector("#versions tr[data-projector='ledger'][data-version='1']"), "retired"));
      assertThat(browser.findElement(By.id("standalone-note")).isDisplayed()).isTrue();
      assertThat(browser.findElement(By.id("replay-form")).isDisplayed()).isFalse();
      assertThat(browser.findElements(By.cssSelector("#projectors button, #versions button"))).isEmpty();
    }
  }
}

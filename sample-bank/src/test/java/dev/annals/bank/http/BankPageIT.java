package dev.annals.bank.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.annals.bank.Bank;
import dev.annals.bank.BankStorage;
import dev.annals.bank.domain.AccountCommand;
import dev.annals.bank.domain.Money;
import dev.annals.bank.views.BalancesProjection;
import dev.annals.core.CommandContext;
import dev.annals.testkit.PostgresTestDatabase;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Currency;
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
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The bank's web page in headless Chromium: it lists the accounts, shows a deposit made through
 * the API without a reload, and its slider shows an account as of an earlier event. Uses Debian's
 * {@code chromium} and {@code chromium-driver} packages; nothing is downloaded. Skipped where they
 * are missing, unless on CI (see {@link Browser}).
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BankPageIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  /**
   * Held so that its level stays set. Selenium warns that it has no DevTools bindings for this
   * Chromium version; the test does not use DevTools.
   */
  private static final Logger DEVTOOLS_LOG = Logger.getLogger("org.openqa.selenium.devtools");

  /** How long the page may take to show something before the test fails. */
  private static final Duration PATIENCE = Duration.ofSeconds(60);

  private static BankStorage storage;
  private static Bank bank;
  private static BankServer server;

  private ChromeDriver browser;
  private Path profile;

  @BeforeAll
  static void start() {
    DEVTOOLS_LOG.setLevel(Level.SEVERE);
    storage = BankStorage.postgres(db.jdbcUrl(), db.schema(), false);
    bank = Bank.start(storage.postgres().orElseThrow(), "bank-page-it");
    server = BankServer.start(bank, new InetSocketAddress("127.0.0.1", 0));
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    if (bank != null) {
      bank.close();
    }
    if (storage != null) {
      storage.close();
    }
  }

  @BeforeEach
  void openBrowser() throws IOException {
    // Here rather than before all, so that the report shows the test skipped, with the reason.
    Optional<String> skip = Browser.skipReason(System.getenv(), Files::isExecutable);
    assumeTrue(skip.isEmpty(), () -> skip.orElseThrow());
    assertThat(Files.isExecutable(Browser.CHROMIUM) && Files.isExecutable(Browser.CHROMEDRIVER))
        .as("the browser test needs Debian's Chromium and its driver at " + Browser.CHROMIUM + " and "
            + Browser.CHROMEDRIVER + "; install them with: apt-get install -y chromium chromium-driver")
        .isTrue();
    profile = Files.createTempDirectory("bank-page-chromium");
    // An explicit driver and binary keep Selenium Manager from looking for (and downloading) either.
    System.setProperty("webdriver.chrome.driver", Browser.CHROMEDRIVER.toString());
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(Browser.CHROMEDRIVER.toFile())
        .usingAnyFreePort()
        .build();
    ChromeOptions options = new ChromeOptions()
        .setBinary(Browser.CHROMIUM.toFile())
        .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile);
    browser = new ChromeDriver(service, options);
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

  @Test
  void the_page_shows_balances_live_and_an_account_as_of_an_earlier_event() throws Exception {
    bank.handle("page-1", new AccountCommand.Open("alice", Currency.getInstance("EUR")), CommandContext.random());
    bank.handle("page-1", new AccountCommand.Deposit(Money.of("10", "EUR")), CommandContext.random());
    bank.handle("page-2", new AccountCommand.Open("bob", Currency.getInstance("USD")), CommandContext.random());
    assertThat(bank.projections().awaitCaughtUp(BalancesProjection.NAME, PATIENCE)).isTrue();

    browser.get(server.uri().toString());
    WebDriverWait wait = new WebDriverWait(browser, PATIENCE);
    wait.until(ExpectedConditions.textToBe(By.id("feed-status"), "live"));
    wait.until(ExpectedConditions.textToBe(balanceOf("page-1"), "10.00 EUR"));
    wait.until(ExpectedConditions.textToBe(balanceOf("page-2"), "0.00 USD"));
    assertThat(browser.findElement(row("page-1")).getText()).contains("alice", "open");

    HttpResponse<String> deposit = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            server.uri().resolve("/accounts/page-1/deposits"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"amount\": \"32.50\", \"currency\": \"EUR\"}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(deposit.statusCode()).as(deposit.body()).isEqualTo(200);

    wait.until(ExpectedConditions.textToBe(balanceOf("page-1"), "42.50 EUR"));
    assertThat(browser.getCurrentUrl()).as("no reload").isEqualTo(server.uri().toString());

    browser.findElement(row("page-1")).click();
    By asOfBalance = By.cssSelector("#as-of-state .balance");
    wait.until(ExpectedConditions.attributeToBe(By.id("as-of-state"), "data-version", "3"));
    assertThat(browser.findElement(asOfBalance).getText()).isEqualTo("42.50 EUR");
    assertThat(browser.findElements(By.cssSelector("#events li"))).hasSize(3);

    WebElement slider = browser.findElement(By.id("as-of"));
    slider.sendKeys(Keys.ARROW_LEFT);
    wait.until(ExpectedConditions.attributeToBe(By.id("as-of-state"), "data-version", "2"));
    assertThat(browser.findElement(asOfBalance).getText()).isEqualTo("10.00 EUR");
    assertThat(browser.findElement(By.id("as-of-label")).getText()).startsWith("v2 · MoneyDeposited");

    slider.sendKeys(Keys.HOME);
    wait.until(ExpectedConditions.attributeToBe(By.id("as-of-state"), "data-version", "0"));
    assertThat(browser.findElement(By.cssSelector("#as-of-state .status")).getText()).isEqualTo("none");

    assertThat(browser.manage().logs().get(LogType.BROWSER).getAll()).as("errors in the page's console")
        .noneMatch(entry -> entry.getLevel().intValue() >= Level.SEVERE.intValue());
  }

  @Test
  void picking_an_account_with_a_long_history_asks_for_its_state_once() throws Exception {
    bank.handle("page-long", new AccountCommand.Open("carol", Currency.getInstance("EUR")), CommandContext.random());
    int deposits = 40;
    for (int i = 1; i <= deposits; i++) {
      bank.handle("page-long", new AccountCommand.Deposit(Money.of("1", "EUR")), CommandContext.random());
    }
    assertThat(bank.projections().awaitCaughtUp(BalancesProjection.NAME, PATIENCE)).isTrue();

    browser.get(server.uri().toString());
    WebDriverWait wait = new WebDriverWait(browser, PATIENCE);
    wait.until(ExpectedConditions.textToBe(balanceOf("page-long"), "40.00 EUR"));
    // Counts the page's as-of requests as they are sent, not as they finish.
    browser.executeScript("window.asOfRequests = 0; const fetched = window.fetch; window.fetch = (url, init) => {"
        + " if (String(url).includes('/as-of')) { window.asOfRequests++; } return fetched(url, init); };");

    browser.findElement(row("page-long")).click();
    String newest = String.valueOf(deposits + 1);
    wait.until(ExpectedConditions.attributeToBe(By.id("as-of-state"), "data-version", newest));
    assertThat(browser.findElements(By.cssSelector("#events li"))).hasSize(deposits + 1);
    assertThat(browser.findElement(By.cssSelector("#as-of-state .balance")).getText()).isEqualTo("40.00 EUR");
    assertThat(((Number) browser.executeScript("return window.asOfRequests;")).longValue())
        .as("as-of requests for a history of %d events", deposits + 1).isEqualTo(1);
  }

  private static By row(String account) {
    return By.cssSelector("#accounts tr[data-account='" + account + "']");
  }

  private static By balanceOf(String account) {
    return By.cssSelector("#accounts tr[data-account='" + account + "'] .balance");
  }
}

package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import org.junit.jupiter.api.Test;

/** Invalid configuration stops startup with a message naming the key and the bad value. */
@IntegrationTest
class ConfigurationErrorsTest {

    @Test
    void stops_startup_naming_a_negative_limit(Infrastructure infra) {
        assertThatThrownBy(() -> WorkerHarness.startWorker(
                        infra,
                        "cfg1",
                        "http://127.0.0.1:9/v1",
                        "--dispatch.providers.hunyuan.accounts[0].limits.requests=-5",
                        "--dispatch.providers.hunyuan.accounts[0].limits.per=6s"))
                .rootCause()
                .hasMessageContaining("dispatch.providers.hunyuan.accounts[0].limits.requests must be > 0, but was -5");
    }

    @Test
    void stops_startup_naming_an_unknown_account_in_a_chain(Infrastructure infra) {
        assertThatThrownBy(() -> WorkerHarness.startWorker(
                        infra, "cfg2", "http://127.0.0.1:9/v1", "--dispatch.routing.chains.TIER_1=nvidia,nvidia-7"))
                .rootCause()
                .hasMessageContaining("dispatch.routing.chains.TIER_1[1] names no provider or account: nvidia-7");
    }
}

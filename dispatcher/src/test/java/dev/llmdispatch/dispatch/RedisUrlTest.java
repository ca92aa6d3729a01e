package dev.llmdispatch.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.RedisUrl;
import java.util.List;
import org.junit.jupiter.api.Test;

class RedisUrlTest {

    @Test
    void reads_a_single_server_a_cluster_and_sentinels_with_tls_and_credentials() {
        RedisUrl single = RedisUrl.parse("redis://redis-limits:6380");
        assertThat(single.topology()).isEqualTo("single");
        assertThat(single.nodes()).containsExactly("redis://redis-limits:6380");
        assertThat(single.password()).isNull();

        RedisUrl auth = RedisUrl.parse("rediss://:s3cret@redis");
        assertThat(auth.tls()).isTrue();
        assertThat(auth.nodes()).containsExactly("rediss://redis:6379");
        assertThat(auth.user()).isNull();
        assertThat(auth.password()).isEqualTo("s3cret");
        assertThat(RedisUrl.parse("redis://s3cret@redis").password()).isEqualTo("s3cret");
        RedisUrl acl = RedisUrl.parse("redis://worker:s3cret@redis:6379");
        assertThat(acl.user()).isEqualTo("worker");
        assertThat(acl.password()).isEqualTo("s3cret");

        RedisUrl cluster = RedisUrl.parse("redis-cluster://:pw@10.0.0.1:7000,10.0.0.2:7001,10.0.0.3");
        assertThat(cluster.topology()).isEqualTo("cluster");
        assertThat(cluster.nodes())
                .containsExactly("redis://10.0.0.1:7000", "redis://10.0.0.2:7001", "redis://10.0.0.3:6379");
        assertThat(RedisUrl.parse("rediss-cluster://a:7000").nodes()).containsExactly("rediss://a:7000");

        RedisUrl sentinel = RedisUrl.parse("redis-sentinel://:pw@s1,s2:26380/limits");
        assertThat(sentinel.topology()).isEqualTo("sentinel");
        assertThat(sentinel.nodes()).isEqualTo(List.of("redis://s1:26379", "redis://s2:26380"));
        assertThat(sentinel.masterName()).isEqualTo("limits");
        assertThat(sentinel.toString()).doesNotContain("pw");
    }

    @Test
    void a_password_may_hold_slashes_at_signs_and_colons_and_never_shows_in_a_message() {
        String password = "Ab3/x+Yz=@p:q";
        RedisUrl t = RedisUrl.parse("redis://:" + password + "@redis-limits:6379");
        assertThat(t.nodes()).containsExactly("redis://redis-limits:6379");
        assertThat(t.password()).isEqualTo(password);
        assertThat(RedisUrl.parse("redis://app:Ab3%2Fx%40y@redis").password()).isEqualTo("Ab3/x@y");
        assertThat(DispatchSettings.redactUrl("redis://:" + password + "@redis-limits:6379"))
                .isEqualTo("redis://****@redis-limits:6379");
        assertThatThrownBy(() -> RedisUrl.parse("redis://:" + password + "@a:1,b:2"))
                .hasMessageNotContaining("Ab3")
                .hasMessageNotContaining("x+Yz");
    }

    @Test
    void a_url_that_is_none_of_them_is_refused_with_a_message_that_keeps_the_password_out() {
        assertThatThrownBy(() -> RedisUrl.parse("http://:s3cret@redis:6379"))
                .hasMessageContaining("redis-cluster://")
                .hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> RedisUrl.parse("redis://:s3cret@a:1,b:2"))
                .hasMessageContaining("names 2 hosts")
                .hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> RedisUrl.parse("redis-sentinel://:s3cret@a:26379"))
                .hasMessageContaining("names no master")
                .hasMessageNotContaining("s3cret");
    }
}

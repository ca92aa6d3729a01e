package dev.llmdispatch.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.AccessTarget;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.core.importer.Locations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Rules over the production code of every module a deployment runs (common, dispatcher, store-redis, worker, cli): it lives here
 * because this module's test classpath holds all of them. The simulator, testkit and benchmarks are tools, not held
 * to these rules.
 */
class ArchitectureTest {

    private static final String[] PRODUCTION = {
        "dev.llmdispatch.api..",
        "dev.llmdispatch.client..",
        "dev.llmdispatch.contract..",
        "dev.llmdispatch.dispatch..",
        "dev.llmdispatch.store..",
        "dev.llmdispatch.worker..",
        "dev.llmdispatch.cli.."
    };

    /**
     * Every production class: those on this module's test classpath, and the standalone and bench modules' (built
     * before this one), which no module depends on.
     */
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importLocations(locations());

    private static Set<Location> locations() {
        Set<Location> where = new HashSet<>(Locations.ofPackage("dev.llmdispatch"));
        for (String module : List.of("standalone", "bench")) {
            Path classes =
                    Path.of("..", module, "target", "classes").toAbsolutePath().normalize();
            if (!Files.isDirectory(classes)) {
                throw new IllegalStateException(classes + " is missing: build the " + module + " module first");
            }
            where.add(Location.of(classes));
        }
        return where;
    }

    @Test
    void time_is_read_and_waited_for_only_through_the_ticker_and_the_sleeper() {
        DescribedPredicate<JavaAccess<?>> systemTime = DescribedPredicate.describe(
                "System.nanoTime, System.currentTimeMillis or Thread.sleep", access -> systemTime(access.getTarget()));
        noClasses()
                .that()
                .resideInAnyPackage(PRODUCTION)
                .should()
                .accessTargetWhere(systemTime)
                .because("every duration goes through dev.llmdispatch.time.Ticker and every pause through its Sleeper,"
                        + " so that tests can run time-dependent rules on a manual clock")
                .check(CLASSES);
    }

    @Test
    void the_store_the_worker_the_cli_and_the_standalone_use_only_the_dispatchers_api() {
        assertThat(List.of("store.redis", "worker", "cli", "standalone", "bench"))
                .allSatisfy(module -> assertThat(CLASSES.containPackage("dev.llmdispatch." + module))
                        .as("classes of %s imported", module)
                        .isTrue());
        noClasses()
                .that()
                .resideInAnyPackage(
                        "dev.llmdispatch.store..",
                        "dev.llmdispatch.worker..",
                        "dev.llmdispatch.cli..",
                        "dev.llmdispatch.standalone..",
                        "dev.llmdispatch.bench..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("dev.llmdispatch.dispatch.internal..")
                .because("the dispatcher's API is its root package (DispatchCore and what it hands out), its"
                        + " configuration (config) and its ports (spi); the rest may change")
                .check(CLASSES);
    }

    @Test
    void the_dispatch_core_uses_no_redis() {
        noClasses()
                .that()
                .resideInAPackage("dev.llmdispatch.dispatch..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.redisson..")
                .because("the core owns its ports (dev.llmdispatch.dispatch.spi); their Redis implementations live in"
                        + " the store-redis module (dev.llmdispatch.store.redis)")
                .check(CLASSES);
    }

    @Test
    void only_the_redis_adapter_runs_redis_scripts() {
        noClasses()
                .that()
                .resideOutsideOfPackage("dev.llmdispatch.store.redis..")
                .should()
                .dependOnClassesThat()
                .haveNameMatching("org\\.redisson\\.api\\.(RScript|RScriptAsync|RFunction|RFunctionAsync)(\\$.*)?")
                .because("every script is called from store-redis, through its LuaScript and arguments record")
                .check(CLASSES);
    }

    @Test
    void every_redis_script_is_a_file_in_the_one_folder_and_none_is_in_java() throws IOException {
        Path root = Path.of("..").toAbsolutePath().normalize();
        List<Path> inJava;
        try (Stream<Path> files = Files.walk(root)) {
            inJava = files.filter(
                            f -> f.toString().endsWith(".java") && f.toString().contains("/src/main/"))
                    .filter(f -> !f.toString().contains("/target/"))
                    .filter(f -> read(f).contains("redis.call("))
                    .toList();
        }
        assertThat(inJava).as("Lua in Java sources").isEmpty();
        List<Path> scripts;
        try (Stream<Path> files = Files.walk(root)) {
            scripts = files.filter(
                            f -> f.toString().endsWith(".lua") && f.toString().contains("/src/main/"))
                    .filter(f -> !f.toString().contains("/target/"))
                    .toList();
        }
        assertThat(scripts)
                .isNotEmpty()
                .allSatisfy(f -> assertThat(root.relativize(f.getParent()))
                        .isEqualTo(Path.of("store-redis/src/main/resources/redis-scripts")));
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean systemTime(AccessTarget target) {
        return (target.getOwner().isEquivalentTo(System.class)
                        && Set.of("nanoTime", "currentTimeMillis").contains(target.getName()))
                || (target.getOwner().isEquivalentTo(Thread.class)
                        && target.getName().equals("sleep"));
    }
}

package dev.llmdispatch.dispatch.spi;

/** The stream channel contract in memory: every view is the one channel of the test. */
class InMemoryStreamChannelTest extends StreamChannelContract {

    private final StreamChannel channel = StreamChannel.inMemory();

    @Override
    protected StreamChannel view() {
        return channel;
    }
}

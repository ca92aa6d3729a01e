/**
 * The validated configuration of providers, accounts, limits and chains ({@link
 * dev.llmdispatch.dispatch.config.DispatchSettings}): every problem is reported by key and value at startup.
 */
package dev.llmdispatch.dispatch.config;

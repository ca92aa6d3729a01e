/**
 * Who may call the worker over HTTP: tenants and their API keys (kept hashed), the admin credential, and the Spring
 * Security filter chains that ask for them (docs/security.md).
 */
package dev.llmdispatch.worker.security;

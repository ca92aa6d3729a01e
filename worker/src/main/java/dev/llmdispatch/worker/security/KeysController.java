package dev.llmdispatch.worker.security;

import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * API keys and tenants at run time, behind the admin token: {@code GET /admin/keys} lists keys by id (never the key),
 * {@code POST /admin/keys?tenant=T} makes a key and answers it this once, {@code DELETE /admin/keys/{id}} revokes a
 * key made here. Each tenant's budgets and use are in {@code GET /admin/status} ({@code tenants}).
 */
@RestController
public class KeysController {

    private final ApiKeys keys;

    public KeysController(ApiKeys keys) {
        this.keys = keys;
    }

    @GetMapping(path = "/admin/keys", produces = MediaType.APPLICATION_JSON_VALUE)
    public List<ApiKeys.KeyInfo> list() {
        return keys.list();
    }

    @PostMapping(path = "/admin/keys", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<ApiKeys.Created> create(@RequestParam String tenant) {
        try {
            return ResponseEntity.status(HttpStatus.CREATED).body(keys.create(tenant));
        } catch (IllegalArgumentException e) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, e.getMessage());
        }
    }

    @DeleteMapping(path = "/admin/keys/{id}")
    public ResponseEntity<Void> revoke(@PathVariable String id) {
        boolean revoked;
        try {
            revoked = keys.revoke(id);
        } catch (IllegalArgumentException e) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, e.getMessage());
        }
        if (!revoked) {
            throw new ResponseStatusException(
                    HttpStatus.NOT_FOUND,
                    "no key made at run time has id " + id + " (keys from configuration are removed there)");
        }
        return ResponseEntity.noContent().build();
    }
}

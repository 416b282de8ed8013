"""A self-contained docs page (no CDN) that lists every operation of the served OpenAPI document."""

DOCS_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>Loyalty &amp; Offers API</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
code{background:#f3f3f3;padding:0 .2rem}.op{border-bottom:1px solid #ddd;padding:.5rem 0}
.m{display:inline-block;width:4.5rem;font-weight:bold}</style></head>
<body><h1>Loyalty &amp; Offers API</h1>
<p>Every call needs <code>Authorization: Bearer &lt;api key&gt;</code>.
The machine-readable document is <a href="openapi.json">openapi.json</a>.</p>
<div id="ops">Loading…</div>
<script>
fetch('openapi.json').then(r => r.json()).then(doc => {
  const out = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const codes = Object.keys(op.responses).join(', ');
      out.push(`<div class="op"><span class="m">${method.toUpperCase()}</span><code>${path}</code>
        — ${op.summary}<br><small>scopes: ${(op['x-scopes']||[]).join(', ')}; answers: ${codes}</small></div>`);
    }
  }
  document.getElementById('ops').innerHTML = out.join('');
});
</script></body></html>
"""

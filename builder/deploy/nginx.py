"""An nginx server block for the published site, generated from the same media and cache
table as the object-storage upload (:mod:`builder.deploy.media`)."""

from __future__ import annotations

from .media import SHORT, STATIC_AGE

# What the site's own pages need: scripts and styles from the site only (no template has an
# inline script, inline style or event attribute; the search page's JSON block is data, not
# script), images from the site or data: URLs.  The search page reads its index with fetch():
# no WebAssembly, no workers.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; media-src 'self'; worker-src 'none'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'self'")

# Explicit types: nginx's mime.types lacks .ssml, .cap.xml and .wasm on older releases.
TYPES = (
    ("text/html", "html"), ("text/css", "css"), ("text/javascript", "js mjs"), ("application/json", "json"),
    ("application/xml", "xml"), ("application/ssml+xml", "ssml"), ("text/plain", "txt"),
    ("image/svg+xml", "svg"), ("image/png", "png"), ("image/jpeg", "jpg jpeg"), ("image/gif", "gif"),
    ("image/webp", "webp"), ("image/x-icon", "ico"), ("audio/wav", "wav"), ("application/wasm", "wasm"),
    ("application/pdf", "pdf"), ("application/msword", "doc"),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    ("application/vnd.ms-excel", "xls"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    ("application/zip", "zip"), ("application/octet-stream", "bin"),
)
# Files whose type depends on more than the last extension; each gets its own location.
SPECIAL = (
    (r"(^|/)feed\.xml$", "application/rss+xml; charset=utf-8"),
    (r"(^|/)atom\.xml$", "application/atom+xml; charset=utf-8"),
    (r"\.cap\.xml$", "application/cap+xml; charset=utf-8"),
    (r"\.gb18030\.txt$", "text/plain; charset=gb18030"),
)
CHARSET_TYPES = ("text/plain text/css text/xml text/javascript application/xml application/json "
                 "application/rss+xml application/atom+xml application/ssml+xml application/cap+xml")
GZIP_TYPES = ("text/css text/javascript application/json application/xml application/rss+xml "
              "application/atom+xml application/ssml+xml application/cap+xml text/plain image/svg+xml "
              "application/wasm application/octet-stream")  # .bin: the search index, ~5x smaller


def security_headers(https: bool) -> list[tuple[str, str]]:
    headers = [
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "SAMEORIGIN"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if https:
        headers.append(("Strict-Transport-Security", "max-age=31536000"))
    return headers


def nginx_config(domain: str, root: str, https: bool = True, port: int | None = None) -> str:
    """The server block(s) for ``domain`` serving ``root`` (the deploy target's ``current`` link).

    ``https=False`` and ``port`` are for a plain-HTTP test server; production uses HTTPS.
    """
    root = root.rstrip("/") or "/"
    # nginx drops inherited add_header lines in any block that has its own: repeat them everywhere.
    headers = [f'add_header {name} "{value}" always;' for name, value in security_headers(https)]

    def block(cache: str, extra: tuple[str, ...] = ()) -> str:
        lines = list(extra) + [f'add_header Cache-Control "{cache}" always;'] + headers
        return "".join(f"        {line}\n" for line in lines)

    out = [f"# nginx 配置：{domain}（由 python build.py deploy --nginx-config 生成，说明见 docs/publishing.md）\n",
           "# 网站根目录指向部署目标的 current 链接：每次部署原子地切换它，nginx 不需要重新加载。\n\n",
           "server {\n"]
    if https:
        out.append("    # HTTPS 与 IPv6 都是政府网站的要求：同时监听 IPv4 和 IPv6 的 443 端口。\n"
                   "    listen 443 ssl http2;\n    listen [::]:443 ssl http2;\n"
                   f"    ssl_certificate     /etc/nginx/ssl/{domain}.crt;   # acme.sh / certbot 申请的证书\n"
                   f"    ssl_certificate_key /etc/nginx/ssl/{domain}.key;\n"
                   "    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_session_cache shared:SSL:10m;\n")
    else:
        p = port or 80
        out.append(f"    listen {p};\n    listen [::]:{p};\n")
    out.append(f"    server_name {domain};\n\n    root {root};\n    index index.html;\n"
               "    disable_symlinks off;            # current 是符号链接\n    server_tokens off;\n"
               "    charset utf-8;\n"
               f"    charset_types {CHARSET_TYPES};\n\n")
    out.append("    types {\n" + "".join(f"        {kind} {exts};\n" for kind, exts in TYPES) + "    }\n"
               "    default_type application/octet-stream;\n\n")
    out.append("    gzip on;\n    gzip_vary on;\n    gzip_comp_level 5;\n    gzip_min_length 512;\n"
               f"    gzip_types {GZIP_TYPES};\n\n")
    out.append("".join(f"    {line}\n" for line in headers) + "\n")
    out.append("    # 站点自己的 404 页面。页面里的链接是相对地址，而它会出现在任意深度的网址下，\n"
               "    # 所以在这里给它加上 <base href=\"/\">，样式表和“返回首页”等链接才指向网站根目录。\n"
               "    error_page 404 /404.html;\n    location = /404.html {\n        internal;\n"
               "        sub_filter '<head>' '<head><base href=\"/\">';\n        sub_filter_once on;\n"
               + block(SHORT) + "    }\n\n")
    out.append("    # 页面、订阅源、广播稿：每次向服务器确认（有 ETag，没变时只回 304），紧急公告发布后立即可见\n"
               "    location / {\n        try_files $uri $uri/ =404;\n" + block(SHORT) + "    }\n")
    for pattern, kind in SPECIAL:
        extra = (f'types {{ }} default_type "{kind}";',) + (("charset off;",) if "gb18030" in kind else ())
        out.append(f"    location ~ {pattern} {{\n" + block(SHORT, extra) + "    }\n")
    out.append(f"    # 样式、脚本、图片、附件、音频：文件名不带内容摘要，缓存 {STATIC_AGE // 86400} 天\n"
               "    location ~ ^/(static|files)/ {\n" + block(f"public, max-age={STATIC_AGE}") + "    }\n"
               "    location ~ \\.wav$ {\n" + block(f"public, max-age={STATIC_AGE}") + "    }\n"
               "    # 不提供以点开头的文件（.well-known 除外，HTTPS 证书验证要用）\n"
               "    location ~ /\\.(?!well-known/) {\n        return 404;\n    }\n}\n")
    if https:
        out.append("\n# http:// 的访问转到 https://（证书验证的请求除外）\nserver {\n"
                   "    listen 80;\n    listen [::]:80;\n"
                   f"    server_name {domain};\n"
                   f"    location /.well-known/acme-challenge/ {{\n        root {root};\n    }}\n"
                   "    location / {\n        return 301 https://$host$request_uri;\n    }\n}\n")
    return "".join(out)

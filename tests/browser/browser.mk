# The browser suite's own tools (included by the Makefile): Debian's chromium (Playwright drives it; Playwright's
# browser download is never used) with a Korean font (else Hangul shows as empty boxes on a bare machine), and
# axe-core, the npm package, pinned by version and by the tarball's hash.
CHROMIUM := /usr/bin/chromium
KOREAN_FONT := /usr/share/fonts/truetype/nanum/NanumGothic.ttf
AXE_VERSION := 4.14.1
AXE_SHA256 := e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745
AXE_DIR := $(LOCAL)/axe-core-$(AXE_VERSION)
export BUYNEST_AXE_JS := $(AXE_DIR)/axe.min.js

$(CHROMIUM) $(KOREAN_FONT):
	@echo "==> chromium and a Korean font (apt)"
	@command -v apt-get >/dev/null || { echo "install Chromium (at $(CHROMIUM)) and a Korean font (Nanum Gothic at" \
		"$(KOREAN_FONT)) with your system's package manager, then run make test-browser again" >&2; exit 1; }
	@apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-nanum >/dev/null

$(BUYNEST_AXE_JS):
	@echo "==> axe-core $(AXE_VERSION) (npm)"
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	@mkdir -p $(AXE_DIR) && cd $(AXE_DIR) && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && \
	  echo "$(AXE_SHA256)  axe-core-$(AXE_VERSION).tgz" | sha256sum -c --quiet && \
	  tar -xzf axe-core-$(AXE_VERSION).tgz --strip-components=1 package/axe.min.js && rm axe-core-$(AXE_VERSION).tgz

browser-deps: $(CHROMIUM) $(KOREAN_FONT) $(BUYNEST_AXE_JS)

test-browser: up browser-deps ## the storefront in a real browser (chromium + Playwright): journeys, axe-core, page weight
	@$(PY) -m pytest -q tests/browser

screenshots: up browser-deps ## the browser suite, also refreshing the README's pictures in docs/screenshots
	@BUYNEST_README_SCREENSHOTS=1 $(PY) -m pytest -q tests/browser

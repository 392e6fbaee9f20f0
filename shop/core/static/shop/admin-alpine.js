/* The admin theme's Alpine components, for Alpine's CSP build (templates/unfold/layouts/skeleton.html).
 *
 * The CSP build parses x-data / x-on / x-bind itself instead of running them with
 * `new Function`, and an expression can read only Alpine's data, never a global: unfold's
 * component functions (its app.js, loaded before this) are registered by name here, and what
 * unfold's layout wrote inline (the sidebar's remembered state, the current tab, the inline
 * rows' sorting callbacks) is the `adminLayout` component on <body>.
 */
document.addEventListener("alpine:init", () => {
  const SIDEBAR_KEY = "sidebarDesktopOpen";

  Alpine.data("theme", theme);
  Alpine.data("searchForm", searchForm);
  Alpine.data("searchCommand", searchCommand);
  Alpine.data("searchDropdown", () => ({
    ...searchDropdown(),
    // The sidebar search's statements that unfold wrote inline (templates/unfold/helpers/search.html).
    openSearch() {
      this.openSearchResults = true;
      this.currentIndex = 0;
    },
    closeSearch() {
      this.openSearchResults = false;
      if (this.$refs.searchInput.value === "") {
        this.$refs.searchInput.blur();
      } else {
        this.$refs.searchInput.value = "";
      }
    },
  }));

  Alpine.data("adminLayout", (primaryTab) => ({
    activeTab: getCurrentTab() || primaryTab,
    sidebarMobileOpen: false,
    sidebarDesktopOpen: localStorage.getItem(SIDEBAR_KEY) !== "0",
    // unfold's change form posts to the page's own address plus the open tab
    // (`window.location.pathname + window.location.search`): lent here, as globals are not.
    window: {
      location: {
        get pathname() {
          return window.location.pathname;
        },
        get search() {
          return window.location.search;
        },
      },
    },
    init() {
      this.$watch("sidebarDesktopOpen", (open) => localStorage.setItem(SIDEBAR_KEY, open ? "1" : "0"));
    },
    // Alpine.sort's callbacks on the inlines and the sortable changelist (unfold's app.js).
    sortRecords(event) {
      sortRecords(event);
    },
    moveRecords(event) {
      return moveRecords(event);
    },
  }));
});

"""Strings django-unfold (the admin's theme) shows, which it ships no Chinese for.

Django looks a string up in every catalogue, so translating them in locale/zh_Hans makes
the theme's own menus, filters and buttons Chinese too. Marked here so `make messages`
keeps them (it drops entries no source file marks). Strings Django's own admin catalogue
already translates (Save, Delete, Log out…) are not repeated.
"""

from django.utils.translation import gettext_noop

THEME_STRINGS = [
    gettext_noop("Add row"),
    gettext_noop("After you've created a user, you’ll be able to edit more user options."),
    gettext_noop("All applications"),
    gettext_noop("Apply Filters"),
    gettext_noop("Click to cancel"),
    gettext_noop("Click to download"),
    gettext_noop("Dark"),
    gettext_noop("Date"),
    gettext_noop("Expand row"),
    gettext_noop("False"),
    gettext_noop("Filters"),
    gettext_noop("General"),
    gettext_noop("Go back"),
    gettext_noop("Light"),
    gettext_noop("Loading more results..."),
    gettext_noop("More actions"),
    gettext_noop("Next"),
    gettext_noop("No data"),
    gettext_noop("No recent searches"),
    gettext_noop("No results found"),
    gettext_noop("No results matching your query"),
    gettext_noop("Previous"),
    gettext_noop("Recent searches"),
    gettext_noop("Record picture"),
    gettext_noop("Reset filters"),
    gettext_noop("Run"),
    gettext_noop("Select action"),
    gettext_noop("Select action to run"),
    gettext_noop("Select all rows"),
    gettext_noop("Select currency"),
    gettext_noop("Select record"),
    gettext_noop("Submit"),
    gettext_noop("System"),
    gettext_noop("This item will be deleted."),
    gettext_noop("This page yielded into no results. Create a new item or reset your filters."),
    gettext_noop("Toggle password visibility"),
    gettext_noop("True"),
    gettext_noop("Type to search"),
    gettext_noop("You have been successfully logged out from the administration"),
    gettext_noop("Filter navigation items"),
    gettext_noop("Search apps and models..."),
    gettext_noop("Choose file to upload"),
    gettext_noop("Image preview"),
    gettext_noop("Unknown content"),
]

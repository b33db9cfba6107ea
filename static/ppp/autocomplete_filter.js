'use strict';
// A list filter typed into the admin's autocomplete (ppp.admin_lists.AutocompleteFilter): choosing a name applies
// the filter at once; clearing it removes the filter. select2 reports changes through jQuery, hence django.jQuery.
django.jQuery(document).on('change', 'form.ppp-autocomplete-filter select', function() {
    if (this.value) {
        this.form.submit();
    } else {
        window.location.href = this.form.dataset.clear;
    }
});

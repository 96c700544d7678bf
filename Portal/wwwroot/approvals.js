// Keyboard shortcuts of the approval queue: j/k move, a approve, e edit, r reject, / filter, ? help.
// Keys typed into a field are left alone, except Escape (leave the field) and Ctrl+Enter (approve).
window.approvalShortcuts = {
    attach(dotnet) {
        const handler = e => {
            const t = e.target;
            const typing = t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable);
            if (typing) {
                if (e.key === 'Escape') t.blur();
                if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); t.dispatchEvent(new Event('change', { bubbles: true })); dotnet.invokeMethodAsync('OnShortcut', 'approve', t.value); }
                return;
            }
            if (e.ctrlKey || e.metaKey || e.altKey) return;
            const action = { j: 'next', k: 'previous', a: 'approve', e: 'edit', r: 'reject', '/': 'filter', '?': 'help' }[e.key];
            if (!action) return;
            e.preventDefault();
            dotnet.invokeMethodAsync('OnShortcut', action, null);
        };
        document.addEventListener('keydown', handler);
        return { detach: () => document.removeEventListener('keydown', handler) };
    },
    focus(selector) {
        const el = document.querySelector(selector);
        if (el) { el.focus(); if (el.select) el.select(); el.scrollIntoView({ block: 'nearest' }); }
    },
};

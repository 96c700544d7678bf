// Keeps a chat transcript scrolled to its newest line as lines arrive, unless the reader has
// scrolled up (then it stays where they are until they scroll back to the bottom).
window.chatTranscript = {
    follow(box) {
        if (!box) return;
        let pinned = true;
        const atBottom = () => box.scrollHeight - box.scrollTop - box.clientHeight < 24;
        box.addEventListener('scroll', () => { pinned = atBottom(); }, { passive: true });
        const toBottom = () => { if (pinned) box.scrollTop = box.scrollHeight; };
        new MutationObserver(toBottom).observe(box, { childList: true, subtree: true, characterData: true });
        toBottom();
    },
};

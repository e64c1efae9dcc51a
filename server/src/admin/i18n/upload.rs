//! The words of New site's file upload (admin/new_site.rs): the file field and why a file gives
//! no text — in Kazakh, Russian and English.

use kelisim_shared::lang::Lang;

pub struct UploadWords {
    /// The file field's label.
    pub file: &'static str,
    /// Under the field: the file wins over pasted text, and the size limit ("{mib}").
    pub file_note: &'static str,
    /// Neither text nor a file.
    pub nothing: &'static str,
    /// Not text, .docx or PDF.
    pub unknown: &'static str,
    /// A Word 97–2003 `.doc`.
    pub old_word: &'static str,
    /// "{kind}": `.txt`, `.docx`, `PDF`.
    pub corrupt: &'static str,
    pub locked: &'static str,
    /// A PDF without a text layer (a scan).
    pub no_text_layer: &'static str,
    pub no_text: &'static str,
    /// "{mib}".
    pub file_too_large: &'static str,
    /// "{mib}".
    pub text_too_large: &'static str,
}

pub fn upload_words(lang: Lang) -> &'static UploadWords {
    match lang {
        Lang::Kk => &UploadWords {
            file: "Немесе саясат файлын жүктеңіз (.txt, .docx, .pdf):",
            file_note: "Файл таңдалса, жоба сол файл бойынша жасалады, ал өріске қойылған мәтін ескерілмейді. Файл көлемі — {mib} МБ-қа дейін.",
            nothing: "Саясат мәтінін қойыңыз немесе оның файлын таңдаңыз.",
            unknown: "Бұл файл мәтіндік файл да, Word құжаты (.docx) да, PDF те емес. Саясатты осы пішімдердің бірінде сақтаңыз немесе мәтінін өріске қойыңыз.",
            old_word: "Бұл Word-тың ескі пішіміндегі құжат (.doc). Оны Word-та ашып, .docx немесе PDF ретінде сақтаңыз, не мәтінін өріске қойыңыз.",
            corrupt: "Файл бүлінген немесе шын мәнінде {kind} файлы емес. Оны ашып, қайта сақтаңыз, не мәтінін өріске қойыңыз.",
            locked: "PDF құпиясөзбен қорғалған. Қорғауды алып тастаңыз немесе саясат мәтінін өріске қойыңыз.",
            no_text_layer: "Бұл PDF-те мәтіндік қабат жоқ — сканерленген құжат болса керек. Саясат мәтінін өріске қойыңыз.",
            no_text: "Файлда мәтін жоқ. Басқа файл таңдаңыз немесе саясат мәтінін өріске қойыңыз.",
            file_too_large: "Файл {mib} МБ-тан үлкен. Құпиялық саясаты әдетте әлдеқайда шағын болады: файлдың дұрыс таңдалғанын тексеріңіз немесе мәтінін өріске қойыңыз.",
            text_too_large: "Мәтін {mib} МБ-тан үлкен — құпиялық саясаты үшін бұл тым көп.",
        },
        Lang::Ru => &UploadWords {
            file: "Или загрузите файл политики (.txt, .docx, .pdf):",
            file_note: "Если выбран файл, черновик готовится по нему, а вставленный в поле текст не учитывается. Размер файла — до {mib} МБ.",
            nothing: "Вставьте текст политики или выберите её файл.",
            unknown: "Это не текстовый файл, не документ Word (.docx) и не PDF. Сохраните политику в одном из этих форматов или вставьте её текст в поле.",
            old_word: "Это документ старого формата Word (.doc). Откройте его в Word и сохраните как .docx или PDF — или вставьте текст в поле.",
            corrupt: "Файл повреждён или на самом деле не является файлом {kind}. Откройте его и сохраните заново — или вставьте текст в поле.",
            locked: "PDF защищён паролем. Снимите защиту или вставьте текст политики в поле.",
            no_text_layer: "В этом PDF нет текстового слоя — вероятно, это скан. Вставьте текст политики в поле.",
            no_text: "В файле нет текста. Выберите другой файл или вставьте текст политики в поле.",
            file_too_large: "Файл больше {mib} МБ. Политика конфиденциальности обычно намного меньше: проверьте, тот ли файл выбран, или вставьте текст в поле.",
            text_too_large: "Текст больше {mib} МБ — для политики конфиденциальности это слишком много.",
        },
        Lang::En => &UploadWords {
            file: "Or upload the policy file (.txt, .docx, .pdf):",
            file_note: "If a file is chosen, the draft is made from it and the text box is ignored. Files up to {mib} MB.",
            nothing: "Paste the policy's text or choose its file.",
            unknown: "This file is not plain text, a Word document (.docx) or a PDF. Save the policy in one of these formats, or paste its text into the box.",
            old_word: "This is an old-format Word document (.doc). Open it in Word and save it as .docx or PDF, or paste the text into the box.",
            corrupt: "The file is damaged or is not really a {kind} file. Open it and save it again, or paste the text into the box.",
            locked: "The PDF is protected by a password. Remove the protection, or paste the policy's text into the box.",
            no_text_layer: "This PDF has no text layer — it is probably a scan. Paste the policy's text into the box instead.",
            no_text: "The file holds no text. Choose another file, or paste the policy's text into the box.",
            file_too_large: "The file is larger than {mib} MB. A privacy policy is usually far smaller: check that this is the right file, or paste the text into the box.",
            text_too_large: "The text is larger than {mib} MB — too much for a privacy policy.",
        },
    }
}

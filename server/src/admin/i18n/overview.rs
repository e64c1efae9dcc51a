//! The overview's own words: the period, the comparison with the period before, the charts'
//! notes and the CSV link.

use kelisim_shared::lang::Lang;

pub struct OverviewWords {
    pub period: &'static str,
    /// "Last {n}" before a count of days («Последние 30 дней»).
    pub last: &'static str,
    pub custom: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub show: &'static str,
    pub csv: &'static str,
    /// The range asked for could not be read.
    pub bad_range: &'static str,
    /// Before the previous period's dates: «Предыдущий период».
    pub previous: &'static str,
    /// After a change in percent or percentage points: «к предыдущему периоду».
    pub vs_previous: &'static str,
    /// Under the per-category bars.
    pub per_category_note: &'static str,
    pub trend: &'static str,
    pub trend_note: &'static str,
    /// A period with no decision at all.
    pub no_decisions: &'static str,
    /// The percentage-point unit: «п. п.», «п.», "pp".
    pub pp: &'static str,
}

pub fn overview_words(l: Lang) -> &'static OverviewWords {
    match l {
        Lang::Ru => &OverviewWords {
            period: "Период",
            last: "Последние",
            custom: "Свой период",
            from: "С",
            to: "По",
            show: "Показать",
            csv: "Скачать CSV за период",
            bad_range: "Период задан неверно (нужны две даты, первая не позже второй, не больше двух лет): показаны последние 30 дней.",
            previous: "Предыдущий период",
            vs_previous: "к предыдущему периоду",
            per_category_note: "Доля решений за период, разрешивших категорию. Черта — та же доля за предыдущий период.",
            trend: "Как посетители решают, по дням",
            trend_note: "Доля каждого вида решения среди решений дня.",
            no_decisions: "За этот период решений нет.",
            pp: "п. п.",
        },
        Lang::Kk => &OverviewWords {
            period: "Кезең",
            last: "Соңғы",
            custom: "Басқа кезең",
            from: "Басы",
            to: "Соңы",
            show: "Көрсету",
            csv: "Кезеңнің CSV файлын жүктеп алу",
            bad_range: "Кезең дұрыс көрсетілмеген (екі күн керек, біріншісі екіншісінен кеш емес, екі жылдан аспайды): соңғы 30 күн көрсетілді.",
            previous: "Алдыңғы кезең",
            vs_previous: "алдыңғы кезеңмен салыстырғанда",
            per_category_note: "Кезеңдегі шешімдердің осы санатқа рұқсат берген үлесі. Сызықша — алдыңғы кезеңдегі сол үлес.",
            trend: "Келушілер қалай шешеді, күн бойынша",
            trend_note: "Күннің шешімдері ішіндегі әр шешім түрінің үлесі.",
            no_decisions: "Бұл кезеңде шешім жоқ.",
            pp: "п. т.",
        },
        Lang::En => &OverviewWords {
            period: "Period",
            last: "Last",
            custom: "Custom",
            from: "From",
            to: "To",
            show: "Show",
            csv: "Download the period as CSV",
            bad_range: "Not a valid period (two dates, the first not after the second, at most two years): showing the last 30 days.",
            previous: "Previous period",
            vs_previous: "on the previous period",
            per_category_note: "Share of the period's decisions that granted the category. The mark is the same share in the previous period.",
            trend: "How visitors decide, per day",
            trend_note: "Each kind of decision as a share of the day's decisions.",
            no_decisions: "No decision in this period.",
            pp: "pp",
        },
    }
}

/// Under a page of the log whose filter ran out of the records one page looks through:
/// `{seq}` is the oldest record it looked at.
pub fn log_searched(l: Lang) -> &'static str {
    match l {
        Lang::Ru => "Просмотрены записи вплоть до № {seq}; более старые записи тоже могут подходить под фильтр — откройте следующую страницу.",
        Lang::Kk => "№ {seq} жазбаға дейінгі жазбалар қаралды; ескірек жазбалар да сүзгіге сай келуі мүмкін — келесі бетті ашыңыз.",
        Lang::En => "Looked through the records down to No. {seq}; older records may match the filter too — open the next page.",
    }
}

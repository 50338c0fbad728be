// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProtocolCommon} from "./IProtocolCommon.sol";
/**
 * @title IReserveRegistry
 * @notice On-chain history of the daily proof-of-reserve reports: per index token and per day, the
 * hash of the signed off-chain report, the Merkle root of liabilities, the reserves and liabilities of
 * every asset and the block the figures refer to. One report per (index, day): republishing a day
 * reverts (the publisher's retries must be idempotent off-chain). Days may be published in any order
 * (a missed day can be back-filled); `latest` is the report with the highest day. Pausing stops publish.
 */
interface IReserveRegistry is IProtocolCommon {
    /// @notice One index's reserve report for one day.
    struct Report {
        /// @dev Index token the report covers.
        address index;
        /// @dev UTC day as yyyymmdd, e.g. 20250131.
        uint32 day;
        /// @dev Hash of the full signed report stored off-chain.
        bytes32 reportHash;
        /// @dev Merkle root over the liabilities (per-asset basket and fee-basket amounts).
        bytes32 liabilitiesRoot;
        /// @dev Block of this chain the liabilities were read at.
        uint64 blockNumber;
        /// @dev Underlying assets, with reserves (custody balances) and liabilities at the same positions.
        address[] assets;
        uint256[] reserves;
        uint256[] liabilities;
    }

    /// @notice The report of `index` for `day` was published (full data, for indexers and auditors).
    event ReportPublished(
        address indexed index,
        uint32 indexed day,
        bytes32 reportHash,
        bytes32 liabilitiesRoot,
        uint64 blockNumber,
        address[] assets,
        uint256[] reserves,
        uint256[] liabilities
    );


    /// @notice `day` is not a valid yyyymmdd calendar date.
    error InvalidDay(uint32 day);

    /// @notice A zero report hash was given.
    error ZeroReportHash();

    /// @notice The report has no asset.
    error NoAssets();

    /// @notice assets, reserves and liabilities have different lengths.
    error ReportLengthMismatch(uint256 assets, uint256 reserves, uint256 liabilities);

    /// @notice `blockNumber` is zero or after the current block `currentBlock`.
    error InvalidBlockNumber(uint64 blockNumber, uint256 currentBlock);

    /// @notice `index` already has a report for `day`.
    error ReportAlreadyPublished(address index, uint32 day);

    /// @notice `index` has no report for `day`.
    error ReportNotFound(address index, uint32 day);

    /// @notice `index` has no report at all.
    error NoReports(address index);

    /**
     * @notice Sets up the registry.
     * @param admin Receives the admin, pauser and upgrader roles.
     */
    function initialize(address admin) external;

    /// @notice Operator: records `report`; reverts if its (index, day) already has one.
    function publish(Report calldata report) external;

    /// @notice The report of `index` with the highest day.
    function latest(address index) external view returns (Report memory);

    /// @notice The report of `index` for `day`.
    function reportAt(address index, uint32 day) external view returns (Report memory);

    /// @notice Whether `index` has a report for `day`.
    function hasReport(address index, uint32 day) external view returns (bool);

    /// @notice How many reports `index` has.
    function reportCount(address index) external view returns (uint256);

    /// @notice The highest day `index` has a report for (0: none).
    function latestDay(address index) external view returns (uint32);

    /// @notice Up to `limit` of `index`'s report days from position `offset`, in publication order.
    function reportDays(address index, uint256 offset, uint256 limit) external view returns (uint32[] memory);

    /// @notice Every index that has at least one report, in order of first report.
    function reportedIndexes() external view returns (address[] memory);
}
